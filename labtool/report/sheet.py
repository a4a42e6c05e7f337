"""The lab's answer sheet from measured scenarios: its table's rows (expected vs observed) and its
three answers, in French or English, numbers written as each language writes them."""

from __future__ import annotations

import statistics
from typing import Any

from labtool.errors import LabtoolError
from labtool.i18n import LANGS, N_, Msg, decimal, translation

ROWS = (("web", "lose-web1"), ("haproxy", "lose-haproxy1"))
TEXTS_EN = {
    "title": N_("Cluster web: report measured by labtool"),
    "lab": N_("Lab '{lab}': VIP {vip}; results of {count} scenario(s)."),
    "table": N_("| Event | Expected event | Observed event |"),
    "row.web": N_("Loss of the first WEB node"),
    "row.haproxy": N_("Loss of the first HAPROXY node"),
    "expected.web": N_(
        "HAProxy marks {node} DOWN after {fall} failed checks (inter {inter} s, connect "
        "timeout {connect} s): between {dmin} and {dmax} s; meanwhile requests sent to "
        "{node} wait; then {other} serves everything; the VIP stays on {holder}."
    ),
    "observed.web": N_(
        "{node} marked DOWN by HAProxy after {detect} s; {bad} requests failed or slow (>"
        " {slow} s) meanwhile; then {after} requests, all served by {served}; the VIP "
        "stayed on {holder}."
    ),
    "expected.haproxy": N_(
        "The VIP {vip} moves to {backup} after 3 x advert_int + skew, at most {down} s "
        "without a VRRP advert ({downmin} s at least); the service is down meanwhile, "
        "then back through {backup}."
    ),
    "observed.haproxy": N_(
        "The VIP {vip} moved to {after} in {takeover} s (first VRRP advert from {after} "
        "at {advert} s); outage seen by the client: {outage} s; {bad} requests lost or "
        "delayed."
    ),
    "missing": N_("(not measured: run 'labtool scenario {name}')"),
    "questions": N_("Questions"),
    "q1": N_("Does the deployed architecture load-balance both WEB services?"),
    "a1": N_(
        "Yes. Before each fault, {total} requests from the client to http://{vip}/: "
        "{split}, alternating (balance roundrobin)."
    ),
    "q2": N_("What is the role of Keepalived in our infrastructure?"),
    "a2": N_(
        "Keepalived holds the VIP {vip} between the two load balancers with VRRP: the "
        "MASTER ({master}) sends an advert every {interval} s ({measured}); when they "
        "stop, the BACKUP takes the VIP{takeover}. The load balancer is no longer a "
        "single point of failure."
    ),
    "a2.takeover": N_(": {value} s measured when haproxy1 was lost (theory: at most {down} s)"),
    "a2.measured": N_("measured over {adverts} adverts"),
    "a2.configured": N_("its config's advert_int: {why}"),
    "a2.few": N_("fewer than two adverts from one source seen"),
    "a2.none": N_("no advert seen, no scenario run"),
    "q3": N_("What is the role of HAPROXY in our infrastructure?"),
    "a3": N_(
        "HAProxy receives the HTTP requests on the VIP (port 80) and spreads them over "
        "the web servers; it checks them (every {inter} s, fall {fall}) and sets a lost "
        "server aside{detect}."
    ),
    "a3.detect": N_(
        ": {node} marked DOWN after {value} s (theory: {dmin} to {dmax} s), then {after} "
        "requests served by {served}"
    ),
    "others": N_("Other scenarios"),
    "scenario": N_("Scenario"),
    "verdict": N_("Verdict"),
    "fact": N_("Measure"),
    "expected": N_("Expected"),
    "observed": N_("Observed"),
    "timeline": N_("Timeline"),
    "log": N_("Event log"),
}
TEXT = {lang: {k: translation(lang)(v) for k, v in TEXTS_EN.items()} for lang in LANGS}


def takeover_s(metrics: dict[str, Any]) -> float | None:
    """The takeover as the best source measured it (results of older labtools: by address)."""
    value = metrics.get("takeover_s", metrics.get("vip_takeover_s"))
    return float(value) if value is not None else None


def number(value: float | int | None, lang: str, digits: int = 2) -> str:
    if value is None:
        return "?"
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    return decimal(text, lang)


class Sheet:
    """The answer sheet's parts, in one language."""

    def __init__(self, results: dict[str, dict[str, Any]], lang: str, vip: str) -> None:
        if lang not in TEXT:
            raise LabtoolError(Msg("unknown language '{lang}'. Fix: use fr or en", lang=lang))
        self.results, self.lang, self.vip = results, lang, vip
        self.t = TEXT[lang]

    def n(self, value: float | int | None, digits: int = 2) -> str:
        return number(value, self.lang, digits)

    def checks(self, result: dict[str, Any]) -> list[tuple[str, str, str]]:
        """A scenario's checks in the reader's words, as the terminal shows them: each fact by
        its meaning, what was expected and what was seen (no field name, no raw bound)."""
        from labtool.scenarios import words
        from labtool.scenarios.result import Check

        rows = []
        for raw in result.get("checks", []):
            check = Check(**{k: v for k, v in raw.items() if k in Check.__dataclass_fields__})
            rows.append(
                (
                    words.fact_name(check.fact, self.lang),
                    words.expected_text(check, self.lang),
                    words.value_text(check.fact, check.observed, self.lang),
                )
            )
        return rows

    def row(self, kind: str, scenario: str) -> tuple[str, str, str]:
        label = self.t[f"row.{kind}"]
        result = self.results.get(scenario)
        if result is None:
            missing = self.t["missing"].format(name=scenario)
            return label, missing, missing
        m, th = result["metrics"], result["theory"]
        bad = m["degraded_requests"]
        if kind == "web":
            node = "web1"
            served = ", ".join(f"{k} ({v})" for k, v in m["served_after_detect"].items()) or "-"
            others = [k for k in m["served_before"] if k != node] or ["web2"]
            expected = self.t["expected.web"].format(
                node=node,
                fall=int(th["haproxy_fall"]),
                inter=self.n(th["haproxy_inter_s"], 1),
                connect=self.n(th["haproxy_check_connect_s"], 1),
                dmin=self.n(th["haproxy_detect_min_s"], 1),
                dmax=self.n(th["haproxy_detect_max_s"], 1),
                other=", ".join(others),
                holder=m["vip_holder_before"],
            )
            observed = self.t["observed.web"].format(
                node=node,
                detect=self.n(m["haproxy_detect_s"].get(node)),
                bad=bad,
                slow=self.n(0.5, 1),
                after=sum(m["served_after_detect"].values()),
                served=served,
                holder=m["vip_holder_after"],
            )
        else:
            expected = self.t["expected.haproxy"].format(
                vip=self.vip,
                backup="haproxy2",
                down=self.n(th["vrrp_master_down_s"]),
                downmin=self.n(th["vrrp_master_down_min_s"]),
            )
            observed = self.t["observed.haproxy"].format(
                vip=self.vip,
                after=m["vip_holder_after"],
                takeover=self.n(takeover_s(m)),
                advert=self.n(m["advert_takeover_s"]),
                outage=self.n(m["outage_s"]),
                bad=bad,
            )
        return label, expected, observed

    def answers(self) -> list[tuple[str, str]]:
        t, results = self.t, self.results
        split: dict[str, int] = {}
        for result in results.values():
            for node, count in result["metrics"]["served_before"].items():
                split[node] = split.get(node, 0) + count
        total = sum(split.values())
        a1 = t["a1"].format(
            total=total, vip=self.vip, split=", ".join(f"{k} {v}" for k, v in sorted(split.items()))
        )
        adverts = [r["metrics"] for r in results.values() if r["metrics"]["adverts"]]
        intervals = [m["advert_interval_s"] for m in adverts if m.get("advert_interval_s")]
        count = sum(m["adverts"] for m in adverts)
        interval: float | None = statistics.median(intervals) if intervals else None
        measured = t["a2.measured"].format(adverts=count)
        if interval is None:  # every number measured, or said why not
            interval = next(iter(results.values()))["theory"].get("advert_int_s")
            why = t["a2.few"] if count else t["a2.none"]
            measured = t["a2.configured"].format(why=why)
        lost = results.get("lose-haproxy1")
        takeover = (
            t["a2.takeover"].format(
                value=self.n(takeover_s(lost["metrics"])),
                down=self.n(lost["theory"]["vrrp_master_down_s"]),
            )
            if lost
            else ""
        )
        a2 = t["a2"].format(
            vip=self.vip,
            master="haproxy1",
            interval=self.n(interval),
            measured=measured,
            takeover=takeover,
        )
        web = results.get("lose-web1")
        any_result = next(iter(results.values()))
        detect = (
            t["a3.detect"].format(
                node="web1",
                value=self.n(web["metrics"]["haproxy_detect_s"].get("web1")),
                dmin=self.n(web["theory"]["haproxy_detect_min_s"], 1),
                dmax=self.n(web["theory"]["haproxy_detect_max_s"], 1),
                after=sum(web["metrics"]["served_after_detect"].values()),
                served=", ".join(web["metrics"]["served_after_detect"]) or "-",
            )
            if web
            else ""
        )
        a3 = t["a3"].format(
            inter=self.n(any_result["theory"]["haproxy_inter_s"], 1),
            fall=int(any_result["theory"]["haproxy_fall"]),
            detect=detect,
        )
        return [(t["q1"], a1), (t["q2"], a2), (t["q3"], a3)]

    def others(self) -> list[dict[str, Any]]:
        return [
            r
            for name, r in sorted(self.results.items())
            if name not in dict((s, k) for k, s in ROWS)
        ]
