"""Lint rules for HAProxy's backends (servers, health checks, how fast a dead one is seen) and
for the web nodes' pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from labtool.configs.haproxy import HaproxyConfig, Section
from labtool.facts.theory import Theory, duration_of
from labtool.grading.lint.base import SLOW_DETECT_S, Target, is_dynamic
from labtool.grading.lint.registry import Say, rule
from labtool.grading.submission.configset import ConfigSet
from labtool.i18n import Msg


@rule("HA-NO-SERVER", subject="backend", severity="error", title="a backend without server")
def no_server(config: HaproxyConfig, backend: Section, target: Target) -> Iterator[Say]:
    if not backend.servers():
        yield Say(
            message=Msg("backend {name} has no server", name=backend.name),
            where=backend,
            fix=Msg("server web1 10.0.0.21:80 check"),
        )


@rule("HA-NO-CHECK", subject="backend", severity="error", title="a server without health check")
def no_check(config: HaproxyConfig, backend: Section, target: Target) -> Iterator[Say]:
    for server in backend.servers():
        if "check" not in server.words[3:]:
            yield Say(
                message=Msg(
                    "server {server} {address} has no 'check'",
                    server=server.words[1],
                    address=server.words[2],
                ),
                where=server,
                why=Msg("HAProxy never notices the server is gone and keeps sending it requests"),
                fix=Msg("{words} check", words=" ".join(server.words)),
            )


@rule("HA-BALANCE", subject="backend", severity="warning", title="not round robin")
def balance(config: HaproxyConfig, backend: Section, target: Target) -> Iterator[Say]:
    defaults = config.defaults_for(backend)
    found = backend.first("balance") or (defaults.first("balance") if defaults else None)
    if found is not None and found.words[1:2] != ["roundrobin"]:
        yield Say(
            message=Msg("balance {algorithm}", algorithm=" ".join(found.words[1:])),
            where=found,
            why=Msg("the lab expects requests to alternate between the web nodes (round robin)"),
            fix=Msg("balance roundrobin"),
        )


@rule(
    "HA-SLOW-DETECT",
    subject="backend",
    severity="warning",
    title="a lost web node seen late",
)
def slow_detect(config: HaproxyConfig, backend: Section, target: Target) -> Iterator[Say]:
    servers = backend.servers()
    detect = _detect_max_s(backend, config.defaults_for(backend))
    if detect is not None and detect > SLOW_DETECT_S:
        yield Say(
            message=Msg(
                "a lost web node is marked DOWN only after up to {detect:g} s", detect=detect
            ),
            where=servers[0] if servers else backend,
            why=Msg("until then HAProxy keeps sending it requests, which wait and fail"),
            fix=Msg("default-server inter 2s fall 3, and timeout connect 2s"),
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
                    inter = duration_of(words[i + 1])
                elif word == "fall":
                    fall = int(words[i + 1])
        connect = 5.0
        check = None
        for section in (defaults, backend):
            if section is None:
                continue
            if (found := section.timeout("connect")) and len(found.words) > 2:
                connect = duration_of(found.words[2])
            if (found := section.timeout("check")) and len(found.words) > 2:
                check = duration_of(found.words[2])
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


@rule("WEB-PAGE-SAME", subject="webs", severity="warning", title="the same page on every web node")
def same_page(configs: ConfigSet) -> Iterator[Say]:
    pages = {
        node: re.sub(r"\s+", " ", text).strip()
        for node, text in configs.pages.items()
        if not is_dynamic(text)
    }
    if len(pages) > 1 and len(set(pages.values())) == 1:
        nodes = list(pages)
        files = [configs.page_files.get(n, n) for n in nodes]
        yield Say(
            message=Msg(
                "the web nodes {nodes} serve the same page '{page}' ({files})",
                nodes=", ".join(nodes),
                page=next(iter(pages.values()))[:40],
                files=", ".join(files),
            ),
            file=files[-1],
            why=Msg("nobody can tell which server answered a request"),
            fix=Msg(
                'echo "test {node}" > /var/www/html/index.html ({other} on {other})',
                node=nodes[0],
                other=nodes[-1],
            ),
        )
