"""A scenario's result in the student's words (French by default, English): each fact by its
meaning, durations with two decimals and their unit, lists and counts as a reader writes them;
no field name, Python repr or four-decimal bound."""

from __future__ import annotations

from typing import Any

from labtool.scenarios.result import Check

# fact -> (fr, en); a fact with a part (haproxy_detect_s.web1) names its part after it
FACTS: dict[str, tuple[str, str]] = {
    "outage_s": ("coupure vue par le client", "outage seen by the client"),
    "takeover_s": ("bascule de la VIP", "VIP takeover"),
    "vip_takeover_s": ("bascule de l'adresse", "address takeover"),
    "vip_holder_after": ("VIP portée ensuite par", "VIP held afterwards by"),
    "vip_holder_before": ("VIP portée avant par", "VIP held before by"),
    "haproxy_detect_s": ("HAProxy écarte", "HAProxy drops"),
    "served_after_detect": ("servies après la détection par", "served after the detection by"),
    "served_after": ("requêtes servies après la panne par", "requests served after the fault by"),
    "status_counts": ("réponses HTTP de code", "HTTP answers with status"),
    "duplicate_vip": ("VIP portée par deux nœuds à la fois", "VIP held by two nodes at once"),
    "duplicate_vip_nodes": ("nœuds portant la VIP ensemble", "nodes holding the VIP at once"),
    "vip_gained": ("nœuds ayant pris la VIP", "nodes that took the VIP"),
    "outage_ongoing": ("coupure toujours en cours", "outage still going on"),
    "failed_requests": ("requêtes en échec", "failed requests"),
}


def _fr(lang: str) -> bool:
    return lang == "fr"


def fact_name(fact: str, lang: str) -> str:
    base, _, part = fact.partition(".")
    names = FACTS.get(base)
    name = (names[0] if _fr(lang) else names[1]) if names else base.replace("_", " ")
    return f"{name} {part}" if part else name


def number(value: float, lang: str, unit: str = "") -> str:
    """A duration with two decimals and its unit; a count (no unit, a whole number) as is."""
    if not unit and float(value).is_integer():
        return str(int(value))
    text = f"{value:.2f}"
    text = text.replace(".", ",") if _fr(lang) else text
    return f"{text} {unit}".strip()


def value_text(fact: str, value: Any, lang: str) -> str:
    """An observed or expected value, as a sentence would write it."""
    fr = _fr(lang)
    if value is None:
        return "non mesuré" if fr else "not measured"
    if isinstance(value, bool):
        return ("oui" if value else "non") if fr else ("yes" if value else "no")
    if isinstance(value, float) or (isinstance(value, int) and fact.split(".")[0].endswith("_s")):
        return number(float(value), lang, "s" if fact.split(".")[0].endswith("_s") else "")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else ("aucun" if fr else "none")
    if isinstance(value, dict):
        return (", ".join(f"{k} {v}" for k, v in value.items())) or ("aucune" if fr else "none")
    return str(value)


def expected_text(check: Check, lang: str) -> str:
    fr = _fr(lang)
    if check.equals is not None:
        return value_text(check.fact, check.equals, lang)
    unit = "s" if check.fact.split(".")[0].endswith("_s") else ""
    low = number(check.low, lang, unit) if check.low is not None else None
    high = number(check.high, lang, unit) if check.high is not None else None
    if low and high:
        return f"de {low} à {high}" if fr else f"from {low} to {high}"
    if low:
        return f"au moins {low}" if fr else f"at least {low}"
    if high:
        return f"au plus {high}" if fr else f"at most {high}"
    return check.expected


def verdict(value: str, lang: str) -> str:
    words = {
        "pass": ("réussi", "passed"),
        "fail": ("échoué", "failed"),
        "error": ("erreur", "error"),
    }
    pair = words.get(value)
    return (pair[0] if _fr(lang) else pair[1]) if pair else value
