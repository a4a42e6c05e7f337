"""The lint rules: what goes wrong in this lab's configs, each finding with file:line, a
severity, a rule id, why it matters and how to fix it. Pure functions over a ConfigSet."""

from __future__ import annotations

import re
from collections.abc import Iterator

from labtool.configs.common import Finding
from labtool.configs.haproxy import HaproxyConfig, Line, Section
from labtool.configs.keepalived import KeepalivedConfig, Statement
from labtool.grading.configset import ConfigSet
from labtool.spec import LabSpec
from labtool.theory import Theory, _duration_s

SLOW_DETECT_S = 15.0  # a lost web node marked DOWN later than this is "slow to detect"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def lint(configs: ConfigSet, spec: LabSpec) -> list[Finding]:
    """Every finding: the parsers', the missing files', then the rules'."""
    found = configs.findings()
    found += list(keepalived_rules(configs, spec))
    found += list(haproxy_rules(configs, spec))
    found += list(web_rules(configs))
    unique = {(f.rule, f.file, f.line, f.message): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.file, f.line or 0,
                                                  SEVERITY_ORDER.get(f.severity, 3), f.rule))


def at(rule: str, severity: str, message: str, where: Statement | Line | Section | None,
       file: str, explanation: str = "", fix: str = "") -> Finding:
    return Finding(rule, severity, message, where.file if where else file,
                   where.line if where else None, explanation, fix)


# --- keepalived ---------------------------------------------------------------------------

def _instance(config_instances: list[Statement]) -> Statement | None:
    return config_instances[0] if config_instances else None


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


def keepalived_rules(configs: ConfigSet, spec: LabSpec) -> Iterator[Finding]:
    instances: dict[str, Statement] = {}
    for label, config in configs.keepalived.items():
        instance = _instance(config.instances())
        if instance is None:
            yield at("KA-NO-INSTANCE", "error", "no vrrp_instance: keepalived holds no VIP",
                     None, config.file, fix="add the lab's vrrp_instance VI_1 { ... }")
            continue
        instances[label] = instance
        yield from _instance_values(instance, config.file, spec)
        yield from _scripts(config, instance)
    yield from _pair(instances, spec)


def _instance_values(instance: Statement, file: str, spec: LabSpec) -> Iterator[Finding]:
    name = f"vrrp_instance {instance.name}"
    for keyword, low, high in (("priority", 1, 255), ("virtual_router_id", 1, 255)):
        found = instance.first(keyword)
        if found is None:
            if keyword == "virtual_router_id":
                yield at("KA-VALUE", "error", f"{name} has no virtual_router_id", instance, file,
                         "keepalived refuses an instance without one", "virtual_router_id 100")
        elif _int(found, low, high) is None:
            yield at("KA-VALUE", "error", f"{keyword} '{' '.join(found.args)[:40]}' is not a "
                     f"number from {low} to {high}", found, file,
                     "keepalived rejects the value and uses its default",
                     f"{keyword} 100")
    state = instance.first("state")
    if state is not None and (len(state.args) != 1 or state.args[0] not in ("MASTER",
                                                                             "BACKUP")):
        yield at("KA-VALUE", "error", f"state '{' '.join(state.args)[:40]}' is neither MASTER "
                 "nor BACKUP", state, file, "keepalived ignores it", "state MASTER or BACKUP")
    advert = instance.first("advert_int")
    if advert is not None:
        try:
            if not 0 < float(advert.args[0]) <= 255:
                raise ValueError
        except (ValueError, IndexError):
            yield at("KA-VALUE", "error", f"advert_int '{' '.join(advert.args)}' is not a "
                     "number of seconds", advert, file, fix="advert_int 1")
    nic = instance.first("interface")
    if nic is None:
        yield at("KA-NIC", "error", f"{name} has no 'interface'", instance, file,
                 "keepalived needs the NIC to send its adverts on", f"interface {spec.nic}")
    elif nic.args[:1] != [spec.nic]:
        yield at("KA-NIC", "error", f"interface '{' '.join(nic.args)}' is not the lab's NIC "
                 f"'{spec.nic}'", nic, file,
                 "on the lab's machines the private network is on "
                 f"{spec.nic}; keepalived will not start on a NIC that does not exist",
                 f"interface {spec.nic} (check with: ip a)")
    lvs = instance.first("lvs_sync_daemon_interface")
    if lvs is not None:
        yield at("KA-LVS-SYNC", "warning", f"lvs_sync_daemon_interface {' '.join(lvs.args)} "
                 "is deprecated", lvs, file,
                 "keepalived 2.x moved it to global_defs as lvs_sync_daemon, and it syncs IPVS "
                 "connections, which HAProxy does not use", "remove the line")
    auth = instance.first("authentication")
    if auth is not None and auth.value("auth_type") == "PASS":
        where = auth.first("auth_type")
        yield at("KA-AUTH-PASS", "warning", "auth_type PASS sends the password in clear text",
                 where, file, "anyone on the LAN reads it in the adverts, and VRRPv3 ignores "
                 "authentication altogether", "remove the authentication block (or use a "
                 "separate, trusted network)")
        password = auth.value("auth_pass") or ""
        if len(password) > 8:
            yield at("KA-AUTH-PASS", "info", f"auth_pass '{password}' is longer than 8 "
                     "characters: keepalived keeps only the first 8", auth.first("auth_pass"),
                     file, fix="use at most 8 characters")
    vips = _vips(instance)
    if not vips:
        yield at("KA-VIP", "error", f"{name} has no virtual_ipaddress", instance, file,
                 "there is no VIP for the clients to use", f"virtual_ipaddress {{ {spec.vip}/32 }}")
    elif str(spec.vip) not in vips:
        yield at("KA-VIP", "error", f"the VIP {', '.join(vips)} is not the lab's {spec.vip}",
                 instance.first("virtual_ipaddress"), file, fix=f"{spec.vip}/32")


def _scripts(config: KeepalivedConfig, instance: Statement) -> Iterator[Finding]:
    scripts = config.scripts()
    for track in instance.all("track_script"):
        for name in track.words():
            if name not in scripts:
                yield at("KA-TRACK-UNDEFINED", "error", f"track_script names '{name}', which "
                         "no vrrp_script defines", track, config.file,
                         "keepalived ignores it: losing HAProxy will not move the VIP",
                         f"define vrrp_script {name} {{ ... }} or fix the name "
                         f"({', '.join(sorted(scripts)) or 'none defined'})")
    for name, script in scripts.items():
        line = script.first("script")
        if line is None or not line.args:
            yield at("KA-SCRIPT", "error", f"vrrp_script {name} has no 'script'", script,
                     config.file)
            continue
        command = line.args[0].split()
        if command and not command[0].startswith("/"):
            yield at("KA-SCRIPT-PATH", "warning", f"vrrp_script {name}: '{command[0]}' has no "
                     "full path", line, config.file,
                     "keepalived looks it up in its own PATH, and with script security on it "
                     "wants full paths", f'script "/usr/bin/{" ".join(command)}"')
    if scripts and not config.has_global("enable_script_security"):
        first = next(iter(scripts.values()))
        yield at("KA-SCRIPT-SECURITY", "info", "scripts run as root without "
                 "enable_script_security", first, config.file,
                 "keepalived warns 'SECURITY VIOLATION' at start-up",
                 "global_defs { enable_script_security\n script_user root }")


def _pair(instances: dict[str, Statement], spec: LabSpec) -> Iterator[Finding]:
    if len(instances) < 2:
        return
    labels = list(instances)
    first_label, first = labels[0], instances[labels[0]]
    for label in labels[1:]:
        other = instances[label]
        for keyword, rule, why in (
                ("virtual_router_id", "KA-VRID-MISMATCH",
                 "two VRIDs are two different routers: both load balancers become MASTER"),
                ("advert_int", "KA-ADVERT-MISMATCH",
                 "keepalived drops adverts whose interval differs from its own")):
            mine, theirs = first.value(keyword), other.value(keyword)
            if mine != theirs:
                yield at(rule, "error", f"{keyword} {theirs} on {label} but {mine} on "
                         f"{first_label}", other.first(keyword) or other, "", why,
                         f"use the same {keyword} on both")
        auth_a = first.first("authentication")
        auth_b = other.first("authentication")
        pair_a = (auth_a.value("auth_type"), auth_a.value("auth_pass")) if auth_a else None
        pair_b = (auth_b.value("auth_type"), auth_b.value("auth_pass")) if auth_b else None
        if pair_a != pair_b:
            yield at("KA-AUTH-MISMATCH", "error",
                     f"authentication {_auth(pair_b)} on {label} but {_auth(pair_a)} on "
                     f"{first_label}", auth_b or other, "",
                     "each side drops the other's adverts: both become MASTER",
                     "use the same auth_type and auth_pass on both")
        if _vips(first) != _vips(other):
            yield at("KA-VIP-MISMATCH", "error", f"virtual_ipaddress {', '.join(_vips(other))} "
                     f"on {label} but {', '.join(_vips(first))} on {first_label}",
                     other.first("virtual_ipaddress") or other, "",
                     "the VIP would change with the master", "use the same VIP on both")
    states = {label: instances[label].value("state") for label in labels}
    priorities = {label: _int(instances[label].first("priority"), 1, 255) or 100
                  for label in labels}
    masters = [label for label, state in states.items() if state == "MASTER"]
    if len(masters) > 1:
        yield at("KA-BOTH-MASTER", "error", f"state MASTER on {' and '.join(masters)}",
                 instances[masters[-1]].first("state"), "",
                 "with equal standing, which one holds the VIP depends on who starts first",
                 "state BACKUP on the second load balancer, with a lower priority")
    if len(set(priorities.values())) < len(priorities):
        same = [label for label in labels if list(priorities.values()).count(
            priorities[label]) > 1]
        yield at("KA-EQUAL-PRIORITY", "warning",
                 f"priority {priorities[same[0]]} on both {' and '.join(same)}",
                 instances[same[-1]].first("priority") or instances[same[-1]], "",
                 "no deterministic master: the one that starts first keeps the VIP, and when "
                 "haproxy1 comes back it does not take the VIP back (no failback)",
                 "priority 101 on the MASTER, 100 on the BACKUP")
    for master in masters[:1]:
        for label in labels:
            if states[label] == "BACKUP" and priorities[label] > priorities[master]:
                yield at("KA-MASTER-LOWER", "warning",
                         f"the BACKUP {label} has priority {priorities[label]}, above the "
                         f"MASTER {master}'s {priorities[master]}", instances[label].first(
                             "priority"), "", "the BACKUP takes the VIP as soon as it starts",
                         "give the MASTER the higher priority")


def _auth(pair: tuple[str | None, str | None] | None) -> str:
    return "none" if pair is None else f"{pair[0]}/{pair[1]}"


# --- HAProxy -----------------------------------------------------------------------------

def _listens_on(section: Section) -> list[tuple[str, Line | Section]]:
    found: list[tuple[str, Line | Section]] = [(a, section) for a in section.args
                                               if ":" in a]
    for bind in section.all("bind"):
        found += [(w, bind) for w in bind.words[1:2]]
    return found


def _port(address: str) -> str:
    return address.rsplit(":", 1)[-1] if ":" in address else ""


def _server_address(server: Line) -> str:
    return server.words[2].split(":")[0] if len(server.words) > 2 else ""


def _backends_used(config: HaproxyConfig, frontend: Section) -> list[Section]:
    if frontend.kind == "listen":
        return [frontend]
    names = [ln.words[1] for ln in frontend.all("default_backend") if len(ln.words) > 1]
    names += [ln.words[1] for ln in frontend.all("use_backend") if len(ln.words) > 1]
    return [b for b in (config.backend(n) for n in names) if b is not None]


def haproxy_rules(configs: ConfigSet, spec: LabSpec) -> Iterator[Finding]:
    webs = {str(n.address): n.name for n in spec.by_role("web")}
    served: dict[str, set[str]] = {}
    for label, config in configs.haproxy.items():
        frontends = [f for f in config.frontends() if f.kind == "frontend" or
                     _listens_on(f)]
        if not frontends:
            yield at("HA-NO-FRONTEND", "error", "no frontend: HAProxy receives nothing", None,
                     config.file, fix="frontend main\n    bind *:80\n    default_backend app")
            continue
        for frontend in frontends:
            for address in frontend.args:
                if ":" in address:
                    yield at("HA-FRONTEND-ADDRESS", "error",
                             f"'{frontend.kind} {frontend.name} {address}': an address on the "
                             f"'{frontend.kind}' line", frontend, config.file,
                             "HAProxy 1.5 accepts it, 2.x refuses to start ('please use the "
                             "bind keyword')", f"{frontend.kind} {frontend.name}\n    bind "
                             f"{address if _port(address) == '80' else '*:80'}")
            routes = frontend.all("default_backend") + frontend.all("use_backend")
            defaults = config.defaults_for(frontend)
            if frontend.kind == "frontend" and not routes and not (
                    defaults and defaults.first("default_backend")):
                yield at("HA-BACKEND-UNDEFINED", "error", f"frontend {frontend.name} has no "
                         "default_backend", frontend, config.file,
                         "HAProxy answers every request with 503 Service Unavailable",
                         "default_backend app")
            for ln in routes:
                if len(ln.words) > 1 and config.backend(ln.words[1]) is None:
                    yield at("HA-BACKEND-UNDEFINED", "error",
                             f"{ln.keyword} {ln.words[1]}: no such backend", ln, config.file,
                             "HAProxy refuses to start", "define it or fix the name")
        ports = {_port(a) for f in frontends for a, _ in _listens_on(f)}
        if "80" not in ports:
            where = frontends[0]
            shown = ", ".join(sorted(a for f in frontends for a, _ in _listens_on(f))) or \
                "nothing"
            yield at("HA-FRONTEND-PORT", "error", f"no frontend listens on port 80 (it "
                     f"listens on {shown})", where, config.file,
                     "the clients ask http://VIP/, on port 80", "bind *:80")
        backends = {id(b): b for f in frontends for b in _backends_used(config, f)}.values()
        addresses: set[str] = set()
        for backend in backends:
            yield from _backend(config, backend, spec)
            addresses |= {_server_address(s) for s in backend.servers()}
        served[label] = addresses
        for address, web in webs.items():
            if address not in addresses and backends:
                first = next(iter(backends))
                yield at("HA-WEB-MISSING", "error", f"{web} ({address}) is not a server of "
                         f"backend {first.name}", first, config.file,
                         f"HAProxy never sends a request to {web}",
                         f"server {web} {address}:80 check")
    labels = list(served)
    for label in labels[1:]:
        if served[label] != served[labels[0]]:
            yield at("HA-DIFFER", "warning", f"{label} sends to "
                     f"{', '.join(sorted(served[label])) or 'nothing'} but {labels[0]} to "
                     f"{', '.join(sorted(served[labels[0]])) or 'nothing'}", None,
                     configs.haproxy[label].file, "after a failover the service changes",
                     "use the same haproxy.cfg on both load balancers")


def _backend(config: HaproxyConfig, backend: Section, spec: LabSpec) -> Iterator[Finding]:
    defaults = config.defaults_for(backend)
    servers = backend.servers()
    if not servers:
        yield at("HA-NO-SERVER", "error", f"backend {backend.name} has no server", backend,
                 config.file, fix="server web1 10.0.0.21:80 check")
    for server in servers:
        if "check" not in server.words[3:]:
            yield at("HA-NO-CHECK", "error", f"server {server.words[1]} {server.words[2]} has "
                     "no 'check'", server, config.file,
                     "HAProxy never notices the server is gone and keeps sending it requests",
                     f"{' '.join(server.words)} check")
    balance = backend.first("balance") or (defaults.first("balance") if defaults else None)
    if balance is not None and balance.words[1:2] != ["roundrobin"]:
        yield at("HA-BALANCE", "warning", f"balance {' '.join(balance.words[1:])}", balance,
                 config.file, "the lab expects requests to alternate between the web nodes "
                 "(round robin)", "balance roundrobin")
    detect = _detect_max_s(backend, defaults)
    if detect is not None and detect > SLOW_DETECT_S:
        yield at("HA-SLOW-DETECT", "warning", f"a lost web node is marked DOWN only after up "
                 f"to {detect:g} s", servers[0] if servers else backend, config.file,
                 "until then HAProxy keeps sending it requests, which wait and fail",
                 "default-server inter 2s fall 3, and timeout connect 2s")


def _detect_max_s(backend: Section, defaults: Section | None) -> float | None:
    """The longest time HAProxy takes to mark a lost server DOWN (labtool.theory.Theory)."""
    inter, fall = 2.0, 3
    lines = ([*defaults.all("default-server")] if defaults else []) + \
        backend.all("default-server") + [s for s in backend.servers() if "check" in s.words]
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
    theory = Theory(advert_int_s=1, backup_priority=100, master_priority=100,
                    track_script=False, track_interval_s=1, haproxy_inter_s=inter,
                    haproxy_fall=fall, haproxy_rise=2, haproxy_connect_timeout_s=connect,
                    haproxy_check_timeout_s=check)
    return round(theory.haproxy_detect_max_s, 3)


# --- web nodes ---------------------------------------------------------------------------

def web_rules(configs: ConfigSet) -> Iterator[Finding]:
    pages = {node: re.sub(r"\s+", " ", text).strip() for node, text in configs.pages.items()}
    if len(pages) > 1 and len(set(pages.values())) == 1:
        yield Finding("WEB-PAGE-SAME", "warning", f"the web nodes {', '.join(pages)} serve the "
                      f"same page '{next(iter(pages.values()))[:40]}'", "index.html", None,
                      "nobody can tell which server answered a request",
                      'echo "test web1" > /var/www/html/index.html (web2 on web2)')

