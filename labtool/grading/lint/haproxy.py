"""Lint rules for haproxy.cfg: the frontend on port 80, the backend it names, what HAProxy 2.x
refuses, timeouts. The servers of the backend it serves against the lab's web nodes, and the
load balancers' agreement: haproxy_servers.py; a backend's own rules (health checks, balance):
servers.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from labtool.configs.haproxy import HaproxyConfig, Line, Section
from labtool.grading.lint.base import SHELL, Target
from labtool.grading.lint.registry import Say, rule
from labtool.grading.submission.plan_derive import serving_backends
from labtool.i18n import Msg


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
            message=Msg("no frontend: HAProxy receives nothing"),
            fix=Msg("frontend main\n    bind *:80\n    default_backend app"),
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
                message=Msg(
                    "'{kind} {name}' twice (lines {line} and {line2})",
                    kind=section.kind,
                    name=section.name,
                    line=seen[key].line,
                    line2=section.line,
                ),
                where=section,
                why=Msg(
                    "HAProxy refuses to start: two proxies with one name ('has the same name as "
                    "...')"
                ),
                fix=Msg("edit the existing section instead of adding a second one"),
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
                    message=Msg(
                        "'{words}' is a shell command, not an HAProxy keyword",
                        words=" ".join(ln.words)[:60],
                    ),
                    where=ln,
                    why=Msg("HAProxy refuses to start ('unknown keyword')"),
                    fix=Msg("remove the line"),
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
                    message=Msg(
                        "'{kind} {name} {address}': an address on the '{kind}' line",
                        kind=frontend.kind,
                        name=frontend.name,
                        address=address,
                    ),
                    where=frontend,
                    why=Msg(
                        "HAProxy 1.5 accepts it, 2.x refuses to start ('please use the bind "
                        "keyword')"
                    ),
                    fix=Msg(
                        "{kind} {name}\n    bind {address}",
                        kind=frontend.kind,
                        name=frontend.name,
                        address=address if _port(address) == "80" else "*:80",
                    ),
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
                message=Msg("frontend {name} has no default_backend", name=frontend.name),
                where=frontend,
                why=Msg("HAProxy answers every request with 503 Service Unavailable"),
                fix=Msg("default_backend app"),
            )
        for ln in routes:
            if len(ln.words) > 1 and config.backend(ln.words[1]) is None:
                yield Say(
                    message=Msg(
                        "{keyword} {server}: no such backend",
                        keyword=ln.keyword,
                        server=ln.words[1],
                    ),
                    where=ln,
                    why=Msg("HAProxy refuses to start"),
                    fix=Msg("define it or fix the name"),
                )


@rule("HA-FRONTEND-PORT", subject="haproxy", severity="error", title="nothing on port 80")
def frontend_port(config: HaproxyConfig, at: HaproxyAt) -> Iterator[Say]:
    frontends = at.frontends
    ports = {_port(a) for f in frontends for a, _ in listens_on(f)}
    if frontends and "80" not in ports:
        shown = ", ".join(sorted(a for f in frontends for a, _ in listens_on(f))) or "nothing"
        yield Say(
            message=Msg("no frontend listens on port 80 (it listens on {shown})", shown=shown),
            where=frontends[0],
            why=Msg("the clients ask http://VIP/, on port 80"),
            fix=Msg("bind *:80"),
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
                message=Msg("no timeout {missing}", missing=", ".join(missing)),
                where=section,
                why=Msg(
                    "HAProxy warns at start, and a client or server that stops answering holds "
                    "its connection for ever"
                ),
                fix=Msg("in defaults: timeout connect 5s, timeout client 1m, timeout server 1m"),
            )
