"""Lint rules across the two load balancers' keepalived configs: the pair must agree (VRID,
authentication, VIP), its priorities and weights must let the VIP move, its track scripts must
run."""

from __future__ import annotations

from collections.abc import Iterator

from labtool.configs.common import Finding
from labtool.configs.keepalived_model import KeepalivedConfig, Statement
from labtool.grading.lint.base import SLOW_TAKEOVER_S, Target, at, int_value, vips_of
from labtool.grading.submission.configset import ConfigSet


def _tracked(instance: Statement) -> list[tuple[str, Statement, int | None]]:
    """The scripts an instance tracks: name, the track_script line, its own weight if set."""
    found = []
    for track in instance.all("track_script"):
        for child in track.children or []:
            weight = None
            if "weight" in child.args[:-1]:
                try:
                    weight = int(child.args[child.args.index("weight") + 1])
                except ValueError:
                    weight = None
            found.append((child.keyword, child, weight))
        found += [(a, track, None) for a in track.args if a not in ("{", "}")]
    return found


def script_rules(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Finding]:
    scripts = config.scripts()
    used = {name for instance in instances for name, _, _ in _tracked(instance)}
    for name, script in scripts.items():
        if name not in used:
            yield at(
                "KA-SCRIPT-UNUSED",
                "warning",
                f"vrrp_script {name} is defined but no track_script uses it",
                script,
                config.file,
                "keepalived runs nothing for it: losing HAProxy will not move the VIP",
                f"track_script {{ {name} }} in the vrrp_instance",
            )
    for name, track in {n: t for i in instances for n, t, _ in _tracked(i)}.items():
        if name not in scripts:
            yield at(
                "KA-TRACK-UNDEFINED",
                "error",
                f"track_script names '{name}', which no vrrp_script defines",
                track,
                config.file,
                "keepalived ignores it: losing HAProxy will not move the VIP",
                f"define vrrp_script {name} {{ ... }} or fix the name "
                f"({', '.join(sorted(scripts)) or 'none defined'})",
            )
    for name, script in scripts.items():
        line = script.first("script")
        if line is None or not line.args:
            yield at(
                "KA-SCRIPT", "error", f"vrrp_script {name} has no 'script'", script, config.file
            )
            continue
        command = line.args[0].split()
        if command and not command[0].startswith("/"):
            yield at(
                "KA-SCRIPT-PATH",
                "warning",
                f"vrrp_script {name}: '{command[0]}' has no full path",
                line,
                config.file,
                "keepalived looks it up in its own PATH, and with script security on it "
                "wants full paths",
                f'script "/usr/bin/{" ".join(command)}"',
            )
    if scripts and not config.has_global("enable_script_security"):
        first = next(iter(scripts.values()))
        yield at(
            "KA-SCRIPT-SECURITY",
            "info",
            "scripts run as root without enable_script_security",
            first,
            config.file,
            "keepalived warns 'SECURITY VIOLATION' at start-up",
            "global_defs { enable_script_security\n script_user root }",
        )


def pair_rules(
    instances: dict[str, Statement], target: Target, configs: ConfigSet
) -> Iterator[Finding]:
    if len(instances) < 2:
        return
    labels = list(instances)
    first_label, first = labels[0], instances[labels[0]]
    main = all(configs.keepalived[label].instances()[:1] == [instances[label]] for label in labels)
    about = "" if main else f"vrrp_instance {first.name}: "
    for label in labels[1:]:
        other = instances[label]
        for keyword, rule, why in (
            (
                "virtual_router_id",
                "KA-VRID-MISMATCH",
                "two VRIDs are two different routers: both load balancers become MASTER",
            ),
            (
                "advert_int",
                "KA-ADVERT-MISMATCH",
                "keepalived drops adverts whose interval differs from its own",
            ),
        ):
            mine, theirs = first.value(keyword), other.value(keyword)
            if mine != theirs:
                yield at(
                    rule,
                    "error",
                    f"{about}{keyword} {theirs} on {label} but {mine} on {first_label}",
                    other.first(keyword) or other,
                    "",
                    why,
                    f"use the same {keyword} on both",
                )
        auth_a = first.first("authentication")
        auth_b = other.first("authentication")
        pair_a = (auth_a.value("auth_type"), auth_a.value("auth_pass")) if auth_a else None
        pair_b = (auth_b.value("auth_type"), auth_b.value("auth_pass")) if auth_b else None
        if pair_a != pair_b:
            yield at(
                "KA-AUTH-MISMATCH",
                "error",
                f"{about}authentication {_auth(pair_b)} on {label} but {_auth(pair_a)} on "
                f"{first_label}",
                auth_b or other,
                "",
                "each side drops the other's adverts: both become MASTER",
                "use the same auth_type and auth_pass on both",
            )
        if vips_of(first) != vips_of(other):
            yield at(
                "KA-VIP-MISMATCH",
                "error",
                f"{about}virtual_ipaddress "
                f"{', '.join(vips_of(other))} on {label} but {', '.join(vips_of(first))} on "
                f"{first_label}",
                other.first("virtual_ipaddress") or other,
                "",
                "the VIP would change with the master",
                "use the same VIP on both",
            )
        nic_a, nic_b = first.value("interface"), other.value("interface")
        if nic_a and nic_b and nic_a != nic_b:
            yield at(
                "KA-NIC-MISMATCH",
                "error",
                f"{about}interface {nic_b} on {label} but {nic_a} on {first_label}",
                other.first("interface") or other,
                "",
                "the load balancers are the same kind of machine: one of the two names "
                "is not its NIC, and keepalived does not start there (or sends its "
                "adverts where the other cannot hear them)",
                "the NIC of the lab's network on both (check with: ip a)",
            )
    states = {label: instances[label].value("state") for label in labels}
    priorities = {
        label: int_value(instances[label].first("priority"), 1, 255) or 100 for label in labels
    }
    masters = [label for label, state in states.items() if state == "MASTER"]
    equal = len(set(priorities.values())) < len(priorities)
    if len(masters) > 1:
        yield at(
            "KA-BOTH-MASTER",
            "error" if equal else "info",
            f"{about}state MASTER on {' and '.join(masters)}",
            instances[masters[-1]].first("state"),
            "",
            "with equal priorities the tie goes to the higher address, not to the one you meant"
            if equal
            else "the priority decides which one is MASTER; `state` only sets how each one starts",
            "state BACKUP on the second load balancer, with a lower priority",
        )
    if equal:
        same = [label for label in labels if list(priorities.values()).count(priorities[label]) > 1]
        yield at(
            "KA-EQUAL-PRIORITY",
            "warning",
            f"{about}priority {priorities[same[0]]} on both {' and '.join(same)}",
            instances[same[-1]].first("priority") or instances[same[-1]],
            "",
            "no deterministic master: the one that starts first keeps the VIP, and when "
            "haproxy1 comes back it does not take the VIP back (no failback)",
            "priority 101 on the MASTER, 100 on the BACKUP",
        )
    for master in masters[:1]:
        for label in labels:
            if states[label] == "BACKUP" and priorities[label] > priorities[master]:
                yield at(
                    "KA-MASTER-LOWER",
                    "warning",
                    f"{about}the BACKUP {label} has priority {priorities[label]}, above "
                    f"the MASTER {master}'s {priorities[master]}",
                    instances[label].first("priority"),
                    "",
                    "the BACKUP takes the VIP as soon as it starts",
                    "give the MASTER the higher priority",
                )
    master = max(labels, key=lambda x: (priorities[x], states[x] == "MASTER", -labels.index(x)))
    backups = [label for label in labels if label != master]
    if backups:
        backup = max(backups, key=lambda x: priorities[x])
        yield from _weight_gap(configs, instances, master, backup, priorities, about)
        yield from _slow_takeover(instances[master], priorities[backup], about)


def _weights(config: KeepalivedConfig, instance: Statement) -> dict[str, int]:
    """The weight each tracked script applies (0: its failure puts the instance in FAULT)."""
    scripts = config.scripts()
    found = {}
    for name, _, own in _tracked(instance):
        if name in scripts:
            found[name] = own if own is not None else (_signed(scripts[name].value("weight")) or 0)
    return found


def _signed(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _weight_gap(
    configs: ConfigSet,
    instances: dict[str, Statement],
    master: str,
    backup: str,
    priorities: dict[str, int],
    about: str,
) -> Iterator[Finding]:
    """A dead HAProxy must move the VIP: a tracked script's weight that cannot overcome the
    priority gap leaves the VIP on a load balancer whose HAProxy is dead."""
    mine = _weights(configs.keepalived[master], instances[master])
    theirs = _weights(configs.keepalived[backup], instances[backup])
    if not mine or any(w == 0 for w in mine.values()):
        return  # no tracking (KA-TRACK-*), or a failure that means FAULT: the VIP moves
    failed = priorities[master] + sum(w for w in mine.values() if w < 0)
    standing = priorities[backup] + sum(w for w in theirs.values() if w > 0)
    if failed >= standing:
        name, weight = next(iter(mine.items()))
        yield at(
            "KA-WEIGHT-GAP",
            "error",
            f"{about}a dead HAProxy never moves the VIP: {master}'s priority "
            f"{priorities[master]} {'+' if weight > 0 else '-'} {abs(weight)} "
            f"({name}'s weight) stays at or above {backup}'s {standing}",
            instances[master].first("priority") or instances[master],
            "",
            "keepalived moves the VIP only when the master's priority falls below the backup's",
            f"weight -{failed - standing + 2} or more on {name} (or no weight:"
            " a failing script then puts the instance in FAULT)",
        )


def _slow_takeover(master: Statement, backup_priority: int, about: str) -> Iterator[Finding]:
    try:
        advert = float(master.value("advert_int") or 1)
    except ValueError:
        return
    down = 3 * advert + (256 - backup_priority) / 256 * advert
    if down > SLOW_TAKEOVER_S:
        yield at(
            "KA-ADVERT-SLOW",
            "warning",
            f"{about}advert_int {advert:g}: the VIP moves "
            f"only {down:.1f} s after its master is lost",
            master.first("advert_int") or master,
            "",
            "the backup waits 3 adverts plus its skew before it takes over; "
            "the service is cut that long",
            "advert_int 1 (about 3.6 s)",
        )


def _auth(pair: tuple[str | None, str | None] | None) -> str:
    return "none" if pair is None else f"{pair[0]}/{pair[1]}"
