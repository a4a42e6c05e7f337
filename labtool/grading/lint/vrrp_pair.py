"""Lint rules across the two load balancers' keepalived configs: the pair must agree (VRID,
authentication, VIP), its priorities and weights must let the VIP move."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from labtool.configs.keepalived_model import Statement
from labtool.grading.lint.base import SLOW_TAKEOVER_S, Target, int_value, vips_of
from labtool.grading.lint.registry import Say, rule
from labtool.grading.lint.scripts import weights
from labtool.grading.submission.configset import ConfigSet


@dataclass(frozen=True)
class Pair:
    """One VRRP instance and its peers on the other load balancers (two or more), with what
    the pair's rules read from them."""

    instances: dict[str, Statement]  # load balancer -> its instance
    configs: ConfigSet
    target: Target
    about: str  # "" for the lab's instance, else "vrrp_instance NAME: "
    states: dict[str, str | None]
    priorities: dict[str, int]

    @classmethod
    def of(cls, instances: dict[str, Statement], configs: ConfigSet, target: Target) -> Pair:
        labels = list(instances)
        main = all(configs.keepalived[lb].instances()[:1] == [instances[lb]] for lb in labels)
        return cls(
            instances,
            configs,
            target,
            "" if main else f"vrrp_instance {instances[labels[0]].name}: ",
            {lb: instances[lb].value("state") for lb in labels},
            {lb: int_value(instances[lb].first("priority"), 1, 255) or 100 for lb in labels},
        )

    @property
    def labels(self) -> list[str]:
        return list(self.instances)

    @property
    def first(self) -> tuple[str, Statement]:
        return self.labels[0], self.instances[self.labels[0]]

    @property
    def others(self) -> list[tuple[str, Statement]]:
        return [(lb, self.instances[lb]) for lb in self.labels[1:]]

    @property
    def masters(self) -> list[str]:
        return [lb for lb, state in self.states.items() if state == "MASTER"]

    @property
    def equal(self) -> bool:
        return len(set(self.priorities.values())) < len(self.priorities)

    @property
    def master(self) -> str:
        """The one that holds the VIP: the highest priority, then MASTER, then the first."""
        labels, priorities, states = self.labels, self.priorities, self.states
        return max(labels, key=lambda x: (priorities[x], states[x] == "MASTER", -labels.index(x)))

    @property
    def backup(self) -> str:
        return max((lb for lb in self.labels if lb != self.master), key=self.priorities.__getitem__)


@rule(
    "KA-VRID-MISMATCH",
    subject="pair",
    severity="error",
    title="two virtual_router_ids: two routers",
)
def vrid_mismatch(pair: Pair) -> Iterator[Say]:
    yield from _differ(
        pair,
        "virtual_router_id",
        "two VRIDs are two different routers: both load balancers become MASTER",
    )


@rule(
    "KA-ADVERT-MISMATCH",
    subject="pair",
    severity="error",
    title="two advert_int values",
)
def advert_mismatch(pair: Pair) -> Iterator[Say]:
    yield from _differ(
        pair, "advert_int", "keepalived drops adverts whose interval differs from its own"
    )


def _differ(pair: Pair, keyword: str, why: str) -> Iterator[Say]:
    first_label, first = pair.first
    for label, other in pair.others:
        mine, theirs = first.value(keyword), other.value(keyword)
        if mine != theirs:
            yield Say(
                message=f"{pair.about}{keyword} {theirs} on {label} but {mine} on {first_label}",
                where=other.first(keyword) or other,
                why=why,
                fix=f"use the same {keyword} on both",
            )


@rule(
    "KA-AUTH-MISMATCH",
    subject="pair",
    severity="error",
    title="two authentications",
)
def auth_mismatch(pair: Pair) -> Iterator[Say]:
    first_label, first = pair.first
    auth_a = first.first("authentication")
    pair_a = (auth_a.value("auth_type"), auth_a.value("auth_pass")) if auth_a else None
    for label, other in pair.others:
        auth_b = other.first("authentication")
        pair_b = (auth_b.value("auth_type"), auth_b.value("auth_pass")) if auth_b else None
        if pair_a != pair_b:
            yield Say(
                message=f"{pair.about}authentication {_auth(pair_b)} on {label} but "
                f"{_auth(pair_a)} on {first_label}",
                where=auth_b or other,
                why="each side drops the other's adverts: both become MASTER",
                fix="use the same auth_type and auth_pass on both",
            )


@rule("KA-VIP-MISMATCH", subject="pair", severity="error", title="two VIPs")
def vip_mismatch(pair: Pair) -> Iterator[Say]:
    first_label, first = pair.first
    for label, other in pair.others:
        if vips_of(first) != vips_of(other):
            yield Say(
                message=f"{pair.about}virtual_ipaddress {', '.join(vips_of(other))} on {label} "
                f"but {', '.join(vips_of(first))} on {first_label}",
                where=other.first("virtual_ipaddress") or other,
                why="the VIP would change with the master",
                fix="use the same VIP on both",
            )


@rule("KA-NIC-MISMATCH", subject="pair", severity="error", title="two NIC names")
def nic_mismatch(pair: Pair) -> Iterator[Say]:
    first_label, first = pair.first
    for label, other in pair.others:
        nic_a, nic_b = first.value("interface"), other.value("interface")
        if nic_a and nic_b and nic_a != nic_b:
            yield Say(
                message=f"{pair.about}interface {nic_b} on {label} but {nic_a} on {first_label}",
                where=other.first("interface") or other,
                why="the load balancers are the same kind of machine: one of the two names "
                "is not its NIC, and keepalived does not start there (or sends its "
                "adverts where the other cannot hear them)",
                fix="the NIC of the lab's network on both (check with: ip a)",
            )


@rule("KA-BOTH-MASTER", subject="pair", severity="error", title="state MASTER on both")
def both_master(pair: Pair) -> Iterator[Say]:
    masters, equal = pair.masters, pair.equal
    if len(masters) > 1:
        yield Say(
            message=f"{pair.about}state MASTER on {' and '.join(masters)}",
            where=pair.instances[masters[-1]].first("state"),
            severity="error" if equal else "info",
            why="with equal priorities the tie goes to the higher address, not to the one you meant"
            if equal
            else "the priority decides which one is MASTER; `state` only sets how each one starts",
            fix="state BACKUP on the second load balancer, with a lower priority",
        )


@rule(
    "KA-EQUAL-PRIORITY",
    subject="pair",
    severity="warning",
    title="equal priorities: no deterministic master, no failback",
)
def equal_priority(pair: Pair) -> Iterator[Say]:
    if not pair.equal:
        return
    values = list(pair.priorities.values())
    same = [lb for lb in pair.labels if values.count(pair.priorities[lb]) > 1]
    yield Say(
        message=f"{pair.about}priority {pair.priorities[same[0]]} on both {' and '.join(same)}",
        where=pair.instances[same[-1]].first("priority") or pair.instances[same[-1]],
        why="no deterministic master: the one that starts first keeps the VIP, and when "
        "haproxy1 comes back it does not take the VIP back (no failback)",
        fix="priority 101 on the MASTER, 100 on the BACKUP",
    )


@rule(
    "KA-MASTER-LOWER",
    subject="pair",
    severity="warning",
    title="a BACKUP above its MASTER",
)
def master_lower(pair: Pair) -> Iterator[Say]:
    priorities = pair.priorities
    for master in pair.masters[:1]:
        for label in pair.labels:
            if pair.states[label] == "BACKUP" and priorities[label] > priorities[master]:
                yield Say(
                    message=f"{pair.about}the BACKUP {label} has priority {priorities[label]}, "
                    f"above the MASTER {master}'s {priorities[master]}",
                    where=pair.instances[label].first("priority"),
                    why="the BACKUP takes the VIP as soon as it starts",
                    fix="give the MASTER the higher priority",
                )


@rule(
    "KA-WEIGHT-GAP",
    subject="pair",
    severity="error",
    title="a tracked script's weight that cannot move the VIP",
)
def weight_gap(pair: Pair) -> Iterator[Say]:
    """A dead HAProxy must move the VIP: a tracked script's weight that cannot overcome the
    priority gap leaves the VIP on a load balancer whose HAProxy is dead."""
    master, backup, priorities = pair.master, pair.backup, pair.priorities
    mine = weights(pair.configs.keepalived[master], pair.instances[master])
    theirs = weights(pair.configs.keepalived[backup], pair.instances[backup])
    if not mine or any(w == 0 for w in mine.values()):
        return  # no tracking (KA-TRACK-*), or a failure that means FAULT: the VIP moves
    failed = priorities[master] + sum(w for w in mine.values() if w < 0)
    standing = priorities[backup] + sum(w for w in theirs.values() if w > 0)
    if failed >= standing:
        name, weight = next(iter(mine.items()))
        yield Say(
            message=f"{pair.about}a dead HAProxy never moves the VIP: {master}'s priority "
            f"{priorities[master]} {'+' if weight > 0 else '-'} {abs(weight)} "
            f"({name}'s weight) stays at or above {backup}'s {standing}",
            where=pair.instances[master].first("priority") or pair.instances[master],
            why="keepalived moves the VIP only when the master's priority falls below the backup's",
            fix=f"weight -{failed - standing + 2} or more on {name} (or no weight:"
            " a failing script then puts the instance in FAULT)",
        )


@rule(
    "KA-ADVERT-SLOW",
    subject="pair",
    severity="warning",
    title="an advert_int that makes the takeover slow",
)
def slow_takeover(pair: Pair) -> Iterator[Say]:
    master = pair.instances[pair.master]
    try:
        advert = float(master.value("advert_int") or 1)
    except ValueError:
        return
    backup_priority = pair.priorities[pair.backup]
    down = 3 * advert + (256 - backup_priority) / 256 * advert
    if down > SLOW_TAKEOVER_S:
        yield Say(
            message=f"{pair.about}advert_int {advert:g}: the VIP moves "
            f"only {down:.1f} s after its master is lost",
            where=master.first("advert_int") or master,
            why="the backup waits 3 adverts plus its skew before it takes over; "
            "the service is cut that long",
            fix="advert_int 1 (about 3.6 s)",
        )


def _auth(pair: tuple[str | None, str | None] | None) -> str:
    return "none" if pair is None else f"{pair[0]}/{pair[1]}"
