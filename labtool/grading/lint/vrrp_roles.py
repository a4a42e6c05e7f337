"""Lint rules on which of the two load balancers is MASTER and how the VIP moves between them:
their states, priorities and track-script weights, and the advert interval that sets how fast
the backup takes over."""

from __future__ import annotations

from collections.abc import Iterator

from labtool.grading.lint.base import SLOW_TAKEOVER_S
from labtool.grading.lint.registry import Say, rule
from labtool.grading.lint.scripts import weights
from labtool.grading.lint.vrrp_pair import Pair
from labtool.i18n import Msg, listed


@rule("KA-BOTH-MASTER", subject="pair", severity="error", title="state MASTER on both")
def both_master(pair: Pair) -> Iterator[Say]:
    masters, equal = pair.masters, pair.equal
    if len(masters) > 1:
        yield Say(
            message=Msg(
                "{about}state MASTER on {masters}",
                about=pair.about,
                masters=listed(masters),
            ),
            where=pair.instances[masters[-1]].first("state"),
            severity="error" if equal else "info",
            why=Msg(
                "with equal priorities the tie goes to the higher address, not to the one you meant"
            )
            if equal
            else Msg(
                "the priority decides which one is MASTER; `state` only sets how each one starts"
            ),
            fix=Msg("state BACKUP on the second load balancer, with a lower priority"),
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
        message=Msg(
            "{about}priority {priority} on both {nodes}",
            about=pair.about,
            priority=pair.priorities[same[0]],
            nodes=listed(same),
        ),
        where=pair.instances[same[-1]].first("priority") or pair.instances[same[-1]],
        why=Msg(
            "no deterministic master: the one that starts first keeps the VIP, and when haproxy1 "
            "comes back it does not take the VIP back (no failback)"
        ),
        fix=Msg("priority 101 on the MASTER, 100 on the BACKUP"),
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
                    message=Msg(
                        "{about}the BACKUP {label} has priority {priority}, above the "
                        "MASTER {master}'s {master_priority}",
                        about=pair.about,
                        label=label,
                        priority=priorities[label],
                        master=master,
                        master_priority=priorities[master],
                    ),
                    where=pair.instances[label].first("priority"),
                    why=Msg("the BACKUP takes the VIP as soon as it starts"),
                    fix=Msg("give the MASTER the higher priority"),
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
            message=Msg(
                "{about}a dead HAProxy never moves the VIP: {master}'s priority "
                "{master_priority} {sign} {weight} ({name}'s weight) stays at or "
                "above {backup}'s {standing}",
                about=pair.about,
                master=master,
                master_priority=priorities[master],
                sign="+" if weight > 0 else "-",
                weight=abs(weight),
                name=name,
                backup=backup,
                standing=standing,
            ),
            where=pair.instances[master].first("priority") or pair.instances[master],
            why=Msg(
                "keepalived moves the VIP only when the master's priority falls below the backup's"
            ),
            fix=Msg(
                "weight -{needed} or more on {name} (or no weight: a failing script "
                "then puts the instance in FAULT)",
                needed=failed - standing + 2,
                name=name,
            ),
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
            message=Msg(
                "{about}advert_int {advert:g}: the VIP moves only {down:.1f} s after its master "
                "is lost",
                about=pair.about,
                advert=advert,
                down=down,
            ),
            where=master.first("advert_int") or master,
            why=Msg(
                "the backup waits 3 adverts plus its skew before it takes over; the service is "
                "cut that long"
            ),
            fix=Msg("advert_int 1 (about 3.6 s)"),
        )
