"""The lint rules: what goes wrong in this lab's configs, each finding with file:line, a
severity, a rule id, why it matters and how to fix it. Pure functions over a ConfigSet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from labtool.configs.common import Finding
from labtool.configs.haproxy import HaproxyConfig, Line, Section
from labtool.configs.keepalived import KeepalivedConfig, Statement
from labtool.facts.theory import Theory, _duration_s
from labtool.grading.configset import ConfigSet
from labtool.grading.plan import same_net, serving_backends
from labtool.spec import LabSpec

SLOW_DETECT_S = 15.0  # a lost web node marked DOWN later than this is "slow to detect"
SLOW_TAKEOVER_S = 5.0  # a VIP that moves later than this after its master is lost is "slow"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SHELL = frozenset(
    {
        "sudo",
        "systemctl",
        "service",
        "vim",
        "vi",
        "nano",
        "cp",
        "mv",
        "echo",
        "yum",
        "dnf",
        "apt",
        "apt-get",
        "cat",
        "curl",
        "ip",
        "chmod",
        "setsebool",
        "firewall-cmd",
        "haproxy",
        "keepalived",
        "reboot",
        "$",
        "#!/bin/bash",
    }
)


@dataclass(frozen=True)
class Target:
    """What the configs are checked against: the lab's plan (`labtool lint` of a lab), or the
    plan a submission shows (`labtool grade`: its VIP, its NIC, its web nodes)."""

    vip: str | None
    nic: str | None  # None: any name, as long as both load balancers agree
    webs: dict[str, str] = field(default_factory=dict)  # address -> web node
    web_count: int = 2
    lb_addresses: dict[str, str] = field(default_factory=dict)  # load balancer -> address
    fragments: frozenset[str] = frozenset()  # haproxy.cfg labels that hold only edited parts
    real_nics: frozenset[str] = frozenset()  # the lab network's NIC, as an `ip a` shows it

    @classmethod
    def of_spec(cls, spec: LabSpec) -> Target:
        return cls(
            str(spec.vip),
            spec.nic,
            {str(n.address): n.name for n in spec.by_role("web")},
            len(spec.by_role("web")),
            {n.name: str(n.address) for n in spec.by_role("lb")},
        )


def lint(configs: ConfigSet, spec: LabSpec, target: Target | None = None) -> list[Finding]:
    """Every finding: the parsers', the missing files', then the rules'."""
    aim = target or Target.of_spec(spec)
    found = configs.findings()
    found += list(keepalived_rules(configs, aim))
    found += list(haproxy_rules(configs, aim))
    found += list(web_rules(configs))
    unique = {(f.rule, f.file, f.line, f.message): f for f in found}
    return sorted(
        unique.values(),
        key=lambda f: (f.file, f.line or 0, SEVERITY_ORDER.get(f.severity, 3), f.rule),
    )


def at(
    rule: str,
    severity: str,
    message: str,
    where: Statement | Line | Section | None,
    file: str,
    explanation: str = "",
    fix: str = "",
) -> Finding:
    return Finding(
        rule,
        severity,
        message,
        where.file if where else file,
        where.line if where else None,
        explanation,
        fix,
    )


# --- keepalived ---------------------------------------------------------------------------


def _int(statement: Statement | None, low: int, high: int) -> int | None:
    if statement is None or not statement.args:
        return None
    try:
        value = int(statement.args[0])
    except ValueError:
        return None
    return value if low <= value <= high else None


def _vips(instance: Statement) -> list[str]:
    block = instance.first("virtual_ipaddress")
    return sorted(c.keyword.split("/")[0] for c in (block.children or [])) if block else []


def keepalived_rules(configs: ConfigSet, target: Target) -> Iterator[Finding]:
    instances: dict[str, list[Statement]] = {}
    for label, config in configs.keepalived.items():
        found = config.instances()
        if not found:
            yield at(
                "KA-NO-INSTANCE",
                "error",
                "no vrrp_instance: keepalived holds no VIP",
                None,
                config.file,
                fix="add the lab's vrrp_instance VI_1 { ... }",
            )
            continue
        instances[label] = found
        for position, instance in enumerate(found):
            yield from _instance_values(instance, config.file, target, label, main=position == 0)
        yield from _scripts(config, found)
        yield from _sync_groups(config, found)
    for group in _matched(instances):
        yield from _pair(group, target, configs)


def _matched(instances: dict[str, list[Statement]]) -> list[dict[str, Statement]]:
    """Each VRRP instance with its peers on the other load balancers: by name, else by VRID,
    else by position."""
    labels = list(instances)
    if not labels:
        return []
    groups: list[dict[str, Statement]] = []
    for position, instance in enumerate(instances[labels[0]]):
        group = {labels[0]: instance}
        for label in labels[1:]:
            others = instances[label]
            peer = (
                next((o for o in others if o.name and o.name == instance.name), None)
                or next(
                    (
                        o
                        for o in others
                        if o.value("virtual_router_id") is not None
                        and o.value("virtual_router_id") == instance.value("virtual_router_id")
                    ),
                    None,
                )
                or (others[position] if position < len(others) else None)
            )
            if peer is not None:
                group[label] = peer
        groups.append(group)
    return groups


def _sync_groups(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Finding]:
    names = {i.name for i in instances}
    for sync in config.all("vrrp_sync_group"):
        members = [w for g in sync.all("group") for w in g.words()]
        for member in members:
            if member not in names:
                yield at(
                    "KA-SYNC-UNDEFINED",
                    "error",
                    f"vrrp_sync_group {sync.name} names '{member}', which no vrrp_instance defines",
                    sync,
                    config.file,
                    "keepalived drops the whole sync group",
                    f"one of: {', '.join(sorted(names))}",
                )


def _instance_values(
    instance: Statement, file: str, target: Target, label: str, main: bool
) -> Iterator[Finding]:
    name = f"vrrp_instance {instance.name}"
    for keyword, low, high in (("priority", 1, 255), ("virtual_router_id", 1, 255)):
        found = instance.first(keyword)
        if found is None:
            if keyword == "virtual_router_id":
                yield at(
                    "KA-VALUE",
                    "error",
                    f"{name} has no virtual_router_id",
                    instance,
                    file,
                    "keepalived refuses an instance without one",
                    "virtual_router_id 100",
                )
        elif _int(found, low, high) is None:
            yield at(
                "KA-VALUE",
                "error",
                f"{keyword} '{' '.join(found.args)[:40]}' is not a number from {low} to {high}",
                found,
                file,
                "keepalived rejects the value and uses its default",
                f"{keyword} 100",
            )
    state = instance.first("state")
    if state is not None and (len(state.args) != 1 or state.args[0] not in ("MASTER", "BACKUP")):
        yield at(
            "KA-VALUE",
            "error",
            f"state '{' '.join(state.args)[:40]}' is neither MASTER nor BACKUP",
            state,
            file,
            "keepalived ignores it",
            "state MASTER or BACKUP",
        )
    advert = instance.first("advert_int")
    if advert is not None:
        try:
            if not 0 < float(advert.args[0]) <= 255:
                raise ValueError
        except (ValueError, IndexError):
            yield at(
                "KA-VALUE",
                "error",
                f"advert_int '{' '.join(advert.args)}' is not a number of seconds",
                advert,
                file,
                fix="advert_int 1",
            )
    nic = instance.first("interface")
    if nic is None:
        yield at(
            "KA-NIC",
            "error",
            f"{name} has no 'interface'",
            instance,
            file,
            "keepalived needs the NIC to send its adverts on",
            f"interface {target.nic or 'eth1'}",
        )
    elif target.real_nics and nic.args[:1] and nic.args[0] not in target.real_nics:
        shown = ", ".join(sorted(target.real_nics))
        yield at(
            "KA-NIC",
            "error",
            f"interface '{nic.args[0]}', but the `ip a` you handed in "
            f"shows the lab's network on {shown}",
            nic,
            file,
            "keepalived will not start on a NIC the machine does not have",
            f"interface {sorted(target.real_nics)[0]}",
        )
    elif target.nic is not None and nic.args[:1] != [target.nic]:
        yield at(
            "KA-NIC",
            "error",
            f"interface '{' '.join(nic.args)}' is not the lab's NIC '{target.nic}'",
            nic,
            file,
            "on the lab's machines the private network is on "
            f"{target.nic}; keepalived will not start on a NIC that does not exist",
            f"interface {target.nic} (check with: ip a)",
        )
    lvs = instance.first("lvs_sync_daemon_interface")
    if lvs is not None:
        yield at(
            "KA-LVS-SYNC",
            "warning",
            f"lvs_sync_daemon_interface {' '.join(lvs.args)} is deprecated",
            lvs,
            file,
            "keepalived 2.x moved it to global_defs as lvs_sync_daemon, and it syncs IPVS "
            "connections, which HAProxy does not use",
            "remove the line",
        )
    auth = instance.first("authentication")
    if auth is not None and auth.value("auth_type") == "AH":
        yield at(
            "KA-AUTH-AH",
            "warning",
            "auth_type AH",
            auth.first("auth_type"),
            file,
            "keepalived's AH authentication is deprecated and not in VRRPv3; peers that "
            "disagree on it, or a NAT between them, drop each other's adverts (both "
            "MASTER)",
            "remove the authentication block",
        )
    if auth is not None and auth.value("auth_type") == "PASS":
        where = auth.first("auth_type")
        yield at(
            "KA-AUTH-PASS",
            "warning",
            "auth_type PASS sends the password in clear text",
            where,
            file,
            "anyone on the LAN reads it in the adverts, and VRRPv3 ignores "
            "authentication altogether",
            "remove the authentication block (or use a separate, trusted network)",
        )
        password = auth.value("auth_pass") or ""
        if len(password) > 8:
            yield at(
                "KA-AUTH-PASS",
                "info",
                f"auth_pass '{password}' is longer than 8 "
                "characters: keepalived keeps only the first 8",
                auth.first("auth_pass"),
                file,
                fix="use at most 8 characters",
            )
    vips = _vips(instance)
    if not vips:
        yield at(
            "KA-VIP",
            "error",
            f"{name} has no virtual_ipaddress",
            instance,
            file,
            "there is no VIP for the clients to use",
            f"virtual_ipaddress {{ {target.vip or '10.0.0.10'}/32 }}",
        )
    elif main and target.vip is not None and target.vip not in vips:
        yield at(
            "KA-VIP",
            "error",
            f"the VIP {', '.join(vips)} is not the lab's {target.vip}",
            instance.first("virtual_ipaddress"),
            file,
            fix=f"{target.vip}/32",
        )
    own = target.lb_addresses.get(label)
    if main and vips and own and same_net(vips[0], own) is False:
        yield at(
            "KA-VIP-SUBNET",
            "error",
            f"the VIP {vips[0]} is not in {label}'s network ({own})",
            instance.first("virtual_ipaddress"),
            file,
            "the clients on that network cannot reach it, and the gratuitous ARP goes nowhere",
            f"a free address of {own}'s network",
        )


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


def _scripts(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Finding]:
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


def _pair(instances: dict[str, Statement], target: Target, configs: ConfigSet) -> Iterator[Finding]:
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
        if _vips(first) != _vips(other):
            yield at(
                "KA-VIP-MISMATCH",
                "error",
                f"{about}virtual_ipaddress "
                f"{', '.join(_vips(other))} on {label} but {', '.join(_vips(first))} on "
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
        label: _int(instances[label].first("priority"), 1, 255) or 100 for label in labels
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


# --- HAProxy -----------------------------------------------------------------------------


def _listens_on(section: Section) -> list[tuple[str, Line | Section]]:
    found: list[tuple[str, Line | Section]] = [(a, section) for a in section.args if ":" in a]
    for bind in section.all("bind"):
        found += [(w, bind) for w in bind.words[1:2]]
    return found


def _port(address: str) -> str:
    return address.rsplit(":", 1)[-1] if ":" in address else ""


def _server_address(server: Line) -> str:
    return server.words[2].split(":")[0] if len(server.words) > 2 else ""


def _stats_only(section: Section) -> bool:
    return (
        section.kind == "listen"
        and not section.servers()
        and any(ln.words[:2] in (["stats", "enable"], ["stats", "uri"]) for ln in section.lines)
    )


def haproxy_rules(configs: ConfigSet, target: Target) -> Iterator[Finding]:
    webs = target.webs
    served: dict[str, set[str]] = {}
    for label, config in configs.haproxy.items():
        yield from _refused(config)
        frontends = [
            f
            for f in config.frontends()
            if (f.kind == "frontend" or _listens_on(f)) and not _stats_only(f)
        ]
        if not frontends:
            if config.file in target.fragments and config.of_kind("backend"):
                frontends = []  # only the backend was handed in: nothing to say of the rest
            else:
                yield at(
                    "HA-NO-FRONTEND",
                    "error",
                    "no frontend: HAProxy receives nothing",
                    None,
                    config.file,
                    fix="frontend main\n    bind *:80\n    default_backend app",
                )
                continue
        for frontend in frontends:
            for address in frontend.args:
                if ":" in address:
                    yield at(
                        "HA-FRONTEND-ADDRESS",
                        "error",
                        f"'{frontend.kind} {frontend.name} {address}': an address on the "
                        f"'{frontend.kind}' line",
                        frontend,
                        config.file,
                        "HAProxy 1.5 accepts it, 2.x refuses to start ('please use the "
                        "bind keyword')",
                        f"{frontend.kind} {frontend.name}\n    bind "
                        f"{address if _port(address) == '80' else '*:80'}",
                    )
            routes = frontend.all("default_backend") + frontend.all("use_backend")
            defaults = config.defaults_for(frontend)
            if (
                frontend.kind == "frontend"
                and not routes
                and not (defaults and defaults.first("default_backend"))
            ):
                yield at(
                    "HA-BACKEND-UNDEFINED",
                    "error",
                    f"frontend {frontend.name} has no default_backend",
                    frontend,
                    config.file,
                    "HAProxy answers every request with 503 Service Unavailable",
                    "default_backend app",
                )
            for ln in routes:
                if len(ln.words) > 1 and config.backend(ln.words[1]) is None:
                    yield at(
                        "HA-BACKEND-UNDEFINED",
                        "error",
                        f"{ln.keyword} {ln.words[1]}: no such backend",
                        ln,
                        config.file,
                        "HAProxy refuses to start",
                        "define it or fix the name",
                    )
        ports = {_port(a) for f in frontends for a, _ in _listens_on(f)}
        if frontends and "80" not in ports:
            where = frontends[0]
            shown = ", ".join(sorted(a for f in frontends for a, _ in _listens_on(f))) or "nothing"
            yield at(
                "HA-FRONTEND-PORT",
                "error",
                f"no frontend listens on port 80 (it listens on {shown})",
                where,
                config.file,
                "the clients ask http://VIP/, on port 80",
                "bind *:80",
            )
        backends = serving_backends(config)
        addresses: set[str] = set()
        for backend in backends:
            yield from _backend(config, backend, target)
            addresses |= {_server_address(s) for s in backend.servers()}
        if config.file not in target.fragments:
            yield from _timeouts(config, frontends, backends)
        served[label] = addresses
        first = backends[0] if backends else None
        for address, web in webs.items():
            if address not in addresses and first is not None:
                yield at(
                    "HA-WEB-MISSING",
                    "error",
                    f"{web} ({address}) is not a server of backend {first.name}",
                    first,
                    config.file,
                    f"HAProxy never sends a request to {web}",
                    f"server {web} {address}:80 check",
                )
        twice = {
            b.name
            for b in config.backends()
            if sum(1 for o in config.backends() if o.name == b.name) > 1
        }  # HA-DUP-SECTION says it
        for backend in backends if webs else []:
            if backend.name in twice:
                continue
            for server in backend.servers():
                address = _server_address(server)
                if address and address not in webs:
                    yield at(
                        "HA-EXTRA-SERVER",
                        "warning",
                        f"server {server.words[1]} "
                        f"{server.words[2]} in backend {backend.name} is not a web node",
                        server,
                        config.file,
                        "HAProxy sends it requests that fail (the "
                        "CentOS 7 default's `use_backend static` sends /static, .css, "
                        ".js... to 127.0.0.1:4331, where nothing listens)",
                        "remove it, or comment out the use_backend that leads there",
                    )
        real = {a for a in addresses if not a.startswith(("127.", "localhost"))}
        if first is not None and not webs and len(real) < target.web_count:
            yield at(
                "HA-WEB-MISSING",
                "error",
                f"backend {first.name} has {len(real)} server(s) for {target.web_count} web nodes",
                first,
                config.file,
                "HAProxy never sends a request to the others",
                "one server line per web node, each with check",
            )
    labels = list(served)
    for label in labels[1:]:
        if served[label] != served[labels[0]]:
            yield at(
                "HA-DIFFER",
                "warning",
                f"{label} sends to "
                f"{', '.join(sorted(served[label])) or 'nothing'} but {labels[0]} to "
                f"{', '.join(sorted(served[labels[0]])) or 'nothing'}",
                None,
                configs.haproxy[label].file,
                "after a failover the service changes",
                "use the same haproxy.cfg on both load balancers",
            )


def _refused(config: HaproxyConfig) -> Iterator[Finding]:
    """What HAProxy refuses at start that the parser takes in: two proxies of one kind and
    name (`backend app` appended instead of edited), a shell command pasted in."""
    seen: dict[tuple[str, str], Section] = {}
    for section in config.sections:
        if section.kind not in ("frontend", "backend", "listen") or not section.name:
            continue
        key = ("backend" if section.kind == "listen" else section.kind, section.name)
        if key in seen:
            yield at(
                "HA-DUP-SECTION",
                "error",
                f"'{section.kind} {section.name}' twice "
                f"(lines {seen[key].line} and {section.line})",
                section,
                config.file,
                "HAProxy refuses to start: two proxies with one name ('has the same name as ...')",
                "edit the existing section instead of adding a second one",
            )
        seen.setdefault(key, section)
        for ln in section.lines:
            if ln.keyword in SHELL or ln.keyword.startswith(("sudo", "$")):
                yield at(
                    "HA-SHELL",
                    "error",
                    f"'{' '.join(ln.words)[:60]}' is a shell command, not an HAProxy keyword",
                    ln,
                    config.file,
                    "HAProxy refuses to start ('unknown keyword')",
                    "remove the line",
                )


def _timeouts(
    config: HaproxyConfig, frontends: list[Section], backends: list[Section]
) -> Iterator[Finding]:
    for section in [*frontends, *backends][:1]:
        defaults = config.defaults_for(section)
        missing = [
            name
            for name in ("connect", "client", "server")
            if section.timeout(name) is None
            and not any(s.timeout(name) for s in (defaults, *backends, *frontends) if s)
        ]
        if missing:
            yield at(
                "HA-NO-TIMEOUT",
                "warning",
                f"no timeout {', '.join(missing)}",
                section,
                config.file,
                "HAProxy warns at start, and a client or server that stops "
                "answering holds its connection for ever",
                "in defaults: timeout connect 5s, timeout client 1m, timeout server 1m",
            )


def _backend(config: HaproxyConfig, backend: Section, target: Target) -> Iterator[Finding]:
    defaults = config.defaults_for(backend)
    servers = backend.servers()
    if not servers:
        yield at(
            "HA-NO-SERVER",
            "error",
            f"backend {backend.name} has no server",
            backend,
            config.file,
            fix="server web1 10.0.0.21:80 check",
        )
    for server in servers:
        if "check" not in server.words[3:]:
            yield at(
                "HA-NO-CHECK",
                "error",
                f"server {server.words[1]} {server.words[2]} has no 'check'",
                server,
                config.file,
                "HAProxy never notices the server is gone and keeps sending it requests",
                f"{' '.join(server.words)} check",
            )
    balance = backend.first("balance") or (defaults.first("balance") if defaults else None)
    if balance is not None and balance.words[1:2] != ["roundrobin"]:
        yield at(
            "HA-BALANCE",
            "warning",
            f"balance {' '.join(balance.words[1:])}",
            balance,
            config.file,
            "the lab expects requests to alternate between the web nodes (round robin)",
            "balance roundrobin",
        )
    detect = _detect_max_s(backend, defaults)
    if detect is not None and detect > SLOW_DETECT_S:
        yield at(
            "HA-SLOW-DETECT",
            "warning",
            f"a lost web node is marked DOWN only after up to {detect:g} s",
            servers[0] if servers else backend,
            config.file,
            "until then HAProxy keeps sending it requests, which wait and fail",
            "default-server inter 2s fall 3, and timeout connect 2s",
        )


def _detect_max_s(backend: Section, defaults: Section | None) -> float | None:
    """The longest time HAProxy takes to mark a lost server DOWN (labtool.facts.theory.Theory)."""
    inter, fall = 2.0, 3
    lines = (
        ([*defaults.all("default-server")] if defaults else [])
        + backend.all("default-server")
        + [s for s in backend.servers() if "check" in s.words]
    )
    try:
        for ln in lines:
            words = ln.words
            for i, word in enumerate(words[:-1]):
                if word == "inter":
                    inter = _duration_s(words[i + 1])
                elif word == "fall":
                    fall = int(words[i + 1])
        connect = 5.0
        check = None
        for section in (defaults, backend):
            if section is None:
                continue
            if (found := section.timeout("connect")) and len(found.words) > 2:
                connect = _duration_s(found.words[2])
            if (found := section.timeout("check")) and len(found.words) > 2:
                check = _duration_s(found.words[2])
    except ValueError:
        return None
    theory = Theory(
        advert_int_s=1,
        backup_priority=100,
        master_priority=100,
        track_script=False,
        track_interval_s=1,
        haproxy_inter_s=inter,
        haproxy_fall=fall,
        haproxy_rise=2,
        haproxy_connect_timeout_s=connect,
        haproxy_check_timeout_s=check,
    )
    return round(theory.haproxy_detect_max_s, 3)


# --- web nodes ---------------------------------------------------------------------------


def web_rules(configs: ConfigSet) -> Iterator[Finding]:
    pages = {
        node: re.sub(r"\s+", " ", text).strip()
        for node, text in configs.pages.items()
        if not _dynamic(text)
    }
    if len(pages) > 1 and len(set(pages.values())) == 1:
        nodes = list(pages)
        files = [configs.page_files.get(n, n) for n in nodes]
        yield Finding(
            "WEB-PAGE-SAME",
            "warning",
            f"the web nodes {', '.join(nodes)} serve the "
            f"same page '{next(iter(pages.values()))[:40]}' ({', '.join(files)})",
            files[-1],
            None,
            "nobody can tell which server answered a request",
            f'echo "test {nodes[0]}" > /var/www/html/index.html ({nodes[-1]} on {nodes[-1]})',
        )


def _dynamic(page: str) -> bool:
    """A page that prints which server answered (PHP's gethostname(), SSI...)."""
    return bool(re.search(r"<\?php|<!--#echo|\$_SERVER|gethostname|php_uname", page))
