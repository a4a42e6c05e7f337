"""A scenario's result in the student's words (French by default, English): each fact by its
meaning, durations with two decimals and their unit, lists and counts as a reader writes them;
no field name, Python repr or four-decimal bound."""

from __future__ import annotations

from typing import Any

from labtool.i18n import N_, decimal, in_context, translation
from labtool.scenarios.result import Check

# fact -> its name for a reader; a fact with a part (haproxy_detect_s.web1) names its part
# after it
FACTS: dict[str, str] = {
    "outage_s": N_("outage seen by the client"),
    "takeover_s": N_("VIP takeover"),
    "vip_takeover_s": N_("address takeover"),
    "vip_holder_after": N_("VIP held afterwards by"),
    "vip_holder_before": N_("VIP held before by"),
    "haproxy_detect_s": N_("HAProxy drops"),
    "served_after_detect": N_("served after the detection by"),
    "served_after": N_("requests served after the fault by"),
    "status_counts": N_("HTTP answers with status"),
    "duplicate_vip": N_("VIP held by two nodes at once"),
    "duplicate_vip_nodes": N_("nodes holding the VIP at once"),
    "vip_gained": N_("nodes that took the VIP"),
    "outage_ongoing": N_("outage still going on"),
    "failed_requests": N_("failed requests"),
}


def fact_name(fact: str, lang: str) -> str:
    base, _, part = fact.partition(".")
    name = translation(lang)(FACTS[base]) if base in FACTS else base.replace("_", " ")
    return f"{name} {part}" if part else name


def number(value: float, lang: str, unit: str = "") -> str:
    """A duration with two decimals and its unit; a count (no unit, a whole number) as is."""
    if not unit and float(value).is_integer():
        return str(int(value))
    text = f"{value:.2f}"
    text = decimal(text, lang)
    return f"{text} {unit}".strip()


def value_text(fact: str, value: Any, lang: str) -> str:
    """An observed or expected value, as a sentence would write it."""
    _, pgettext = translation(lang), in_context(lang)
    if value is None:
        return _("not measured")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float) or (isinstance(value, int) and fact.split(".")[0].endswith("_s")):
        return number(float(value), lang, "s" if fact.split(".")[0].endswith("_s") else "")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else pgettext("a list of nodes", "none")
    if isinstance(value, dict):
        counts = ", ".join(f"{k} {v}" for k, v in value.items())
        return counts or pgettext("counts of answers", "none")
    return str(value)


def expected_text(check: Check, lang: str) -> str:
    _ = translation(lang)
    if check.equals is not None:
        return value_text(check.fact, check.equals, lang)
    unit = "s" if check.fact.split(".")[0].endswith("_s") else ""
    low = number(check.low, lang, unit) if check.low is not None else None
    high = number(check.high, lang, unit) if check.high is not None else None
    if low and high:
        return _("from {low} to {high}").format(low=low, high=high)
    if low:
        return _("at least {low}").format(low=low)
    if high:
        return _("at most {high}").format(high=high)
    return check.expected


VERDICTS = {"pass": N_("passed"), "fail": N_("failed"), "error": N_("error")}


def verdict(value: str, lang: str) -> str:
    return translation(lang)(VERDICTS[value]) if value in VERDICTS else value
