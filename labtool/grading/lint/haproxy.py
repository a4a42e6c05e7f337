"""Lint rules for haproxy.cfg: the frontend on port 80, the servers of the backend it serves,
what HAProxy 2.x refuses, timeouts, and the load balancers' agreement. A backend's own rules
(health checks, balance) are in servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from labtool.configs.haproxy import HaproxyConfig, Line, Section
from labtool.grading.lint.base import SHELL, Target
from labtool.grading.lint.registry import Say, rule
from labtool.grading.submission.configset import ConfigSet
from labtool.grading.submission.plan_derive import serving_backends


def listens_on(section: Section) -> list[tuple[str, Line | Section]]:
    found: list[tuple[str, Line | Section]] = [(a, section) for a in section.args if ":" in a]
    for bind in section.all("bind"):
        found += [(w, bind) for w in bind.words[1:2]]
    return found


def _port(address: str) -> str:
    return address.rsplit(":", 1)[-1] if ":" in address else ""


def server_address(server: Line) -> str:
    return server.words[2].split(":")[0] if len(server.words) > 2 else ""


def _stats_only(section: Section) -> bool:
    return (
        section.kind == "listen"
        and not section.servers()
        and any(ln.words[:2] in (["stats", "enable"], ["stats", "uri"]) for ln in section.lines)
    )


@dataclass(frozen=True)
class HaproxyAt:
    """What the rules of one haproxy.cfg read: its frontends (without a stats-only listen),
    the backends they serve, and what it is checked against."""

    frontends: list[Section]
    backends: list[Section]
    target: Target
    fragment: bool  # only some sections were handed in (a report's excerpt)
    checked: bool  # a frontend, or only a backend handed in: the rules of a whole file run

    @classmethod
    def of(cls, config: HaproxyConfig, target: Target) -> HaproxyAt:
        frontends = [
            f
            for f in config.frontends()
            if (f.kind == "frontend" or listens_on(f)) and not _stats_only(f)
        ]
        fragment = config.file in target.fragments
        checked = bool(frontends) or (fragment and bool(config.of_kind("backend")))
        return cls(frontends, serving_backends(config), target, fragment, checked)

    @property
    def addresses(self) -> set[str]:
        """The addresses the served backends send requests to."""
        return {server_address(s) for b in self.backends for s in b.servers()}


@rule("HA-NO-FRONTEND", subject="haproxy_file", severity="error", title="no frontend")
def no_frontend(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    if not at.checked:
        yield Say(
            message="no frontend: HAProxy receives nothing",
            fix="frontend main\n    bind *:80\n    default_backend app",
        )


@rule(
    "HA-DUP-SECTION",
    subject="haproxy_file",
    severity="error",
    title="two proxies of one kind and name",
)
def duplicate_section(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    """`backend app` appended instead of edited: HAProxy refuses to start."""
    seen: dict[tuple[str, str], Section] = {}
    for section in config.sections:
        if section.kind not in ("frontend", "backend", "listen") or not section.name:
            continue
        key = ("backend" if section.kind == "listen" else section.kind, section.name)
        if key in seen:
            yield Say(
                message=f"'{section.kind} {section.name}' twice "
                f"(lines {seen[key].line} and {section.line})",
                where=section,
                why="HAProxy refuses to start: two proxies with one name ('has the same name "
                "as ...')",
                fix="edit the existing section instead of adding a second one",
            )
        seen.setdefault(key, section)


@rule("HA-SHELL", subject="haproxy_file", severity="error", title="a shell command pasted in")
def shell_line(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    for section in config.sections:
        if section.kind not in ("frontend", "backend", "listen") or not section.name:
            continue
        for ln in section.lines:
            if ln.keyword in SHELL or ln.keyword.startswith(("sudo", "$")):
                yield Say(
                    message=f"'{' '.join(ln.words)[:60]}' is a shell command, not an HAProxy "
                    "keyword",
                    where=ln,
                    why="HAProxy refuses to start ('unknown keyword')",
                    fix="remove the line",
                )


@rule(
    "HA-FRONTEND-ADDRESS",
    subject="haproxy",
    severity="error",
    title="an address on the frontend line (HAProxy 1.5 only)",
)
def frontend_address(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    for frontend in at.frontends:
        for address in frontend.args:
            if ":" in address:
                yield Say(
                    message=f"'{frontend.kind} {frontend.name} {address}': an address on the "
                    f"'{frontend.kind}' line",
                    where=frontend,
                    why="HAProxy 1.5 accepts it, 2.x refuses to start ('please use the "
                    "bind keyword')",
                    fix=f"{frontend.kind} {frontend.name}\n    bind "
                    f"{address if _port(address) == '80' else '*:80'}",
                )


@rule(
    "HA-BACKEND-UNDEFINED",
    subject="haproxy",
    severity="error",
    title="a frontend without backend, or a backend that does not exist",
)
def backend_undefined(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    for frontend in at.frontends:
        routes = frontend.all("default_backend") + frontend.all("use_backend")
        defaults = config.defaults_for(frontend)
        if (
            frontend.kind == "frontend"
            and not routes
            and not (defaults and defaults.first("default_backend"))
        ):
            yield Say(
                message=f"frontend {frontend.name} has no default_backend",
                where=frontend,
                why="HAProxy answers every request with 503 Service Unavailable",
                fix="default_backend app",
            )
        for ln in routes:
            if len(ln.words) > 1 and config.backend(ln.words[1]) is None:
                yield Say(
                    message=f"{ln.keyword} {ln.words[1]}: no such backend",
                    where=ln,
                    why="HAProxy refuses to start",
                    fix="define it or fix the name",
                )


@rule("HA-FRONTEND-PORT", subject="haproxy", severity="error", title="nothing on port 80")
def frontend_port(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    frontends = at.frontends
    ports = {_port(a) for f in frontends for a, _ in listens_on(f)}
    if frontends and "80" not in ports:
        shown = ", ".join(sorted(a for f in frontends for a, _ in listens_on(f))) or "nothing"
        yield Say(
            message=f"no frontend listens on port 80 (it listens on {shown})",
            where=frontends[0],
            why="the clients ask http://VIP/, on port 80",
            fix="bind *:80",
        )


@rule("HA-NO-TIMEOUT", subject="haproxy", severity="warning", title="no timeouts")
def no_timeout(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    if at.fragment:
        return
    frontends, backends = at.frontends, at.backends
    for section in [*frontends, *backends][:1]:
        defaults = config.defaults_for(section)
        missing = [
            name
            for name in ("connect", "client", "server")
            if section.timeout(name) is None
            and not any(s.timeout(name) for s in (defaults, *backends, *frontends) if s)
        ]
        if missing:
            yield Say(
                message=f"no timeout {', '.join(missing)}",
                where=section,
                why="HAProxy warns at start, and a client or server that stops "
                "answering holds its connection for ever",
                fix="in defaults: timeout connect 5s, timeout client 1m, timeout server 1m",
            )


@rule(
    "HA-WEB-MISSING",
    subject="haproxy",
    severity="error",
    title="a web node that is not a server of the backend",
)
def web_missing(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    first = at.backends[0] if at.backends else None
    if first is None:
        return
    addresses, webs = at.addresses, at.target.webs
    for address, web in webs.items():
        if address not in addresses:
            yield Say(
                message=f"{web} ({address}) is not a server of backend {first.name}",
                where=first,
                why=f"HAProxy never sends a request to {web}",
                fix=f"server {web} {address}:80 check",
            )
    real = {a for a in addresses if not a.startswith(("127.", "localhost"))}
    if not webs and len(real) < at.target.web_count:
        yield Say(
            message=f"backend {first.name} has {len(real)} server(s) for "
            f"{at.target.web_count} web nodes",
            where=first,
            why="HAProxy never sends a request to the others",
            fix="one server line per web node, each with check",
        )


@rule(
    "HA-EXTRA-SERVER",
    subject="haproxy",
    severity="warning",
    title="a server that is not a web node",
)
def extra_server(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    webs = at.target.webs
    names = [b.name for b in config.backends()]
    twice = {name for name in names if names.count(name) > 1}  # HA-DUP-SECTION says it
    for backend in at.backends if webs else []:
        if backend.name in twice:
            continue
        for server in backend.servers():
            address = server_address(server)
            if address and address not in webs:
                yield Say(
                    message=f"server {server.words[1]} {server.words[2]} in backend "
                    f"{backend.name} is not a web node",
                    where=server,
                    why="HAProxy sends it requests that fail (the "
                    "CentOS 7 default's `use_backend static` sends /static, .css, "
                    ".js... to 127.0.0.1:4331, where nothing listens)",
                    fix="remove it, or comment out the use_backend that leads there",
                )


@rule(
    "HA-DIFFER",
    subject="haproxies",
    severity="warning",
    title="load balancers that send to different servers",
)
def differ(configs: ConfigSet, served: dict[str, set[str]]) -> Iterator[Say]:
    labels = list(served)
    for label in labels[1:]:
        if served[label] != served[labels[0]]:
            yield Say(
                message=f"{label} sends to "
                f"{', '.join(sorted(served[label])) or 'nothing'} but {labels[0]} to "
                f"{', '.join(sorted(served[labels[0]])) or 'nothing'}",
                file=configs.haproxy[label].file,
                why="after a failover the service changes",
                fix="use the same haproxy.cfg on both load balancers",
            )
