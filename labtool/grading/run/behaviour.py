"""What a submission's cluster did when `labtool grade --run` built it and broke it: the model
(`behaviour` in `--format json`) and the evidence sentences its feedback quotes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from labtool.grading.score.model import Lost, T

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


def _vip_answers(b: Behaviour, fr: bool) -> tuple[bool, str]:
    if b.vip_answers:
        return True, (
            f"la VIP {b.vip} répond en HTTP (portée par {b.vip_holder})"
            if fr
            else f"your VIP {b.vip} answered HTTP (held by {b.vip_holder})"
        )
    return False, (
        f"rien ne répond en HTTP sur la VIP {b.vip}, port 80"
        if fr
        else f"nothing answered HTTP on your VIP {b.vip}, port 80"
    )


def _load_balancing(b: Behaviour, fr: bool) -> tuple[bool, str]:
    served = ", ".join(b.served_by) or "-"
    ok = len(b.served_by) >= 2
    if fr:
        return ok, f"{b.requests} requêtes : servies par {served}"
    return ok, f"{b.requests} requests: served by {served}" + (
        "" if ok else " (the others never answered)"
    )


def _lose_web1(b: Behaviour, fr: bool) -> tuple[bool, str]:
    lost = b.lose_web1
    if lost is None:
        return False, "non mesuré (la VIP ne répondait pas)" if fr else "not measured"
    ok = lost.detected_s is not None and lost.failed_after == 0 and bool(lost.served_after)
    if fr:
        return ok, (
            f"{lost.node} éteint : plus d'échec après {_s(lost.detected_s)}, servi ensuite par "
            f"{', '.join(lost.served_after) or '-'}"
            if lost.detected_s is not None
            else f"{lost.node} éteint : {lost.failed_after} requêtes échouent encore à la fin"
        )
    return ok, (
        f"{lost.node} powered off: no failure after {_s(lost.detected_s)}, then served by "
        f"{', '.join(lost.served_after) or '-'}"
        if lost.detected_s is not None
        else f"{lost.node} powered off: {lost.failed_after} requests still failed at the end"
    )


def _lose_haproxy1(b: Behaviour, fr: bool) -> tuple[bool, str]:
    lost_lb = b.lose_haproxy1
    if lost_lb is None:
        return False, "non mesuré" if fr else "not measured"
    ok = lost_lb.vip_holder_after is not None and lost_lb.outage_s is not None
    if fr:
        return ok, (
            f"{lost_lb.node} éteint : la VIP est passée sur {lost_lb.vip_holder_after}, le "
            f"client est resté {_s(lost_lb.outage_s)} sans réponse"
            if ok
            else f"{lost_lb.node} éteint : plus rien ne répond sur la VIP {b.vip}"
        )
    return ok, (
        f"{lost_lb.node} powered off: your VIP moved to {lost_lb.vip_holder_after}; the "
        f"client saw {_s(lost_lb.outage_s)} without an answer"
        if ok
        else f"{lost_lb.node} powered off: nothing answered on the VIP {b.vip} any more"
    )


def _track_haproxy(b: Behaviour, fr: bool) -> tuple[bool, str]:
    stop = b.stop_haproxy
    if stop is None:
        return False, "non mesuré" if fr else "not measured"
    if stop.vip_moved:
        return True, (
            f"HAProxy arrêté sur {stop.node} : la VIP est passée sur {stop.vip_holder_after} "
            f"en {_s(stop.moved_s)}"
            if fr
            else f"HAProxy stopped on {stop.node}: the VIP moved to {stop.vip_holder_after} "
            f"in {_s(stop.moved_s)}"
        )
    if stop.vip_holder_after is None:
        return False, (
            f"HAProxy arrêté sur {stop.node} : la VIP est lâchée et personne ne la reprend"
            if fr
            else f"HAProxy stopped on {stop.node}: the VIP was dropped and nobody took it"
        )
    return False, (
        f"HAProxy arrêté sur {stop.node} : la VIP y est restée (keepalived ne surveille "
        "pas HAProxy)"
        if fr
        else f"HAProxy stopped on {stop.node}: the VIP stayed there (keepalived does not "
        "watch HAProxy)"
    )


def _no_split_brain(b: Behaviour, fr: bool) -> tuple[bool, str]:
    if b.split_brain:
        both = " et ".join(b.split_brain_nodes) if fr else " and ".join(b.split_brain_nodes)
        return False, (
            f"{both} portaient la VIP en même temps (split brain)"
            if fr
            else f"{both} held the VIP at once (split brain)"
        )
    return (
        True,
        "un seul load balancer portait la VIP" if fr else "one load balancer held the VIP",
    )


def _failback(b: Behaviour, fr: bool) -> tuple[bool, str]:
    ok = bool(b.failback)
    return ok, (
        (
            "le premier load balancer reprend la VIP à son retour"
            if ok
            else "pas de retour de la VIP"
        )
        if fr
        else ("the first load balancer took the VIP back on its return" if ok else "no failback")
    )


EVIDENCE: dict[str, Callable[[Behaviour, bool], tuple[bool, str]]] = {
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
    return EVIDENCE[check](b, lang == "fr")


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
