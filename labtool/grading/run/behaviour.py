"""What a submission's cluster did when `labtool grade --run` built it and broke it: the model
(`behaviour` in `--format json`) and the evidence sentences its feedback quotes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from labtool.grading.score.model import Lost, T
from labtool.i18n import translation

Words = Callable[[str], str]  # a text in the reader's language

if TYPE_CHECKING:
    from labtool.grading.score.rubric import Criterion


@dataclass
class LoseWeb:
    node: str | None = None  # the web node powered off (the submission's name)
    detected_s: float | None = None  # until every request succeeded again (None: never)
    served_after: list[str] = field(default_factory=list)  # web nodes that answered after
    failed_after: int = 0  # requests that failed after the detection bound


@dataclass
class LoseLb:
    node: str | None = None  # the load balancer powered off
    vip_holder_after: str | None = None
    outage_s: float | None = None  # the client's time without an answer (None: never again)
    failed: int = 0


@dataclass
class StopHaproxy:
    node: str | None = None  # where HAProxy was stopped (the VIP's holder then)
    vip_moved: bool | None = None
    moved_s: float | None = None
    vip_holder_after: str | None = None


@dataclass
class Behaviour:
    refused: str | None = None  # why it was not run (its static grade stands)
    error: str | None = None  # it was run, and could not boot or was stopped at its bounds
    vip: str | None = None
    vip_answers: bool = False
    vip_holder: str | None = None  # after boot
    served_by: list[str] = field(default_factory=list)
    requests: int = 0  # sent for served_by
    answered: int = 0
    lose_web1: LoseWeb | None = None
    lose_haproxy1: LoseLb | None = None
    failback: bool | None = None  # the first load balancer took the VIP back on its return
    stop_haproxy: StopHaproxy | None = None
    split_brain: bool = False
    split_brain_nodes: list[str] = field(default_factory=list)
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)  # each run's verdict
    adaptations: list[str] = field(default_factory=list)
    memory_kib: int | None = None
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _s(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f} s"


def _vip_answers(b: Behaviour, _: Words) -> tuple[bool, str]:
    if b.vip_answers:
        return True, _("your VIP {vip} answered HTTP (held by {holder})").format(
            vip=b.vip, holder=b.vip_holder
        )
    return False, _("nothing answered HTTP on your VIP {vip}, port 80").format(vip=b.vip)


def _load_balancing(b: Behaviour, _: Words) -> tuple[bool, str]:
    served = ", ".join(b.served_by) or "-"
    if len(b.served_by) >= 2:
        return True, _("{n} requests: served by {served}").format(n=b.requests, served=served)
    return False, _("{n} requests: served by {served} (the others never answered)").format(
        n=b.requests, served=served
    )


def _lose_web1(b: Behaviour, _: Words) -> tuple[bool, str]:
    lost = b.lose_web1
    if lost is None:
        return False, _("not measured (the VIP did not answer)")
    ok = lost.detected_s is not None and lost.failed_after == 0 and bool(lost.served_after)
    if lost.detected_s is None:
        return ok, _("{node} powered off: {n} requests still failed at the end").format(
            node=lost.node, n=lost.failed_after
        )
    return ok, _("{node} powered off: no failure after {after}, then served by {served}").format(
        node=lost.node, after=_s(lost.detected_s), served=", ".join(lost.served_after) or "-"
    )


def _lose_haproxy1(b: Behaviour, _: Words) -> tuple[bool, str]:
    lost = b.lose_haproxy1
    if lost is None:
        return False, _("not measured")
    if lost.vip_holder_after is None or lost.outage_s is None:
        return False, _("{node} powered off: nothing answered on the VIP {vip} any more").format(
            node=lost.node, vip=b.vip
        )
    return True, _(
        "{node} powered off: your VIP moved to {holder}; the client saw {outage} without an answer"
    ).format(node=lost.node, holder=lost.vip_holder_after, outage=_s(lost.outage_s))


def _track_haproxy(b: Behaviour, _: Words) -> tuple[bool, str]:
    stop = b.stop_haproxy
    if stop is None:
        return False, _("not measured")
    if stop.vip_moved:
        return True, _("HAProxy stopped on {node}: the VIP moved to {holder} in {moved}").format(
            node=stop.node, holder=stop.vip_holder_after, moved=_s(stop.moved_s)
        )
    if stop.vip_holder_after is None:
        return False, _("HAProxy stopped on {node}: the VIP was dropped and nobody took it").format(
            node=stop.node
        )
    return False, _(
        "HAProxy stopped on {node}: the VIP stayed there (keepalived does not watch HAProxy)"
    ).format(node=stop.node)


def _no_split_brain(b: Behaviour, _: Words) -> tuple[bool, str]:
    if b.split_brain:
        nodes = b.split_brain_nodes
        both = _("{a} and {b}").format(a=", ".join(nodes[:-1]), b=nodes[-1])
        return False, _("{nodes} held the VIP at once (split brain)").format(nodes=both)
    return True, _("one load balancer held the VIP")


def _failback(b: Behaviour, _: Words) -> tuple[bool, str]:
    if b.failback:
        return True, _("the first load balancer took the VIP back on its return")
    return False, _("no failback")


EVIDENCE: dict[str, Callable[[Behaviour, Words], tuple[bool, str]]] = {
    "vip_answers": _vip_answers,
    "load_balancing": _load_balancing,
    "lose_web1": _lose_web1,
    "lose_haproxy1": _lose_haproxy1,
    "track_haproxy": _track_haproxy,
    "no_split_brain": _no_split_brain,
    "failback": _failback,
}


def evidence(b: Behaviour, check: str, lang: str = "en") -> tuple[bool, str]:
    """Whether one observed behaviour is right, and the sentence that says what was seen."""
    return EVIDENCE[check](b, translation(lang))


def behaviour_reasons(criterion: Criterion, behaviour: Behaviour, lang: str) -> list[Lost]:
    """All the criterion's points or none, with what was seen (a note when it was right)."""
    if behaviour.error:
        why = T[lang]["run_error"].format(why=behaviour.error)
        return [Lost(criterion.id, "error", why, criterion.points)]
    if criterion.scenario is not None:  # a scenario of scenarios/, graded by its verdict
        from labtool.grading.score.reasons import scenario_reasons

        return scenario_reasons(criterion, behaviour.scenarios, lang)
    right, seen = evidence(behaviour, criterion.behaviour or "", lang)
    if right:
        return [Lost(criterion.id, "info", seen, 0.0)]
    return [Lost(criterion.id, "error", seen, criterion.points)]


def run_notes(behaviour: Behaviour, lang: str) -> list[Lost]:
    t = T[lang]
    if behaviour.refused:
        return [Lost("run", "warning", t["run_refused"].format(why=behaviour.refused), 0.0)]
    return [
        Lost("run", "info", t["run_adapted"].format(what=what), 0.0)
        for what in behaviour.adaptations
    ]
