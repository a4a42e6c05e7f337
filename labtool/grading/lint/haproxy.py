"""Lint rules for haproxy.cfg: the frontend on port 80, the backend's servers, what HAProxy 2.x
refuses, timeouts."""

from __future__ import annotations

from collections.abc import Iterator

from labtool.configs.common import Finding
from labtool.configs.haproxy import HaproxyConfig, Line, Section
from labtool.grading.lint.base import SHELL, Target, at
from labtool.grading.lint.servers import backend_rules
from labtool.grading.submission.configset import ConfigSet
from labtool.grading.submission.plan_derive import serving_backends


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
            yield from backend_rules(config, backend, target)
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
