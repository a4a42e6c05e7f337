"""Lint rules for HAProxy's backends (both web nodes, health checks, how fast a dead one is seen)
and for the web nodes' pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from labtool.configs.common import Finding
from labtool.configs.haproxy import HaproxyConfig, Section
from labtool.facts.theory import Theory, duration_of
from labtool.grading.lint.base import SLOW_DETECT_S, Target, at, is_dynamic
from labtool.grading.submission.configset import ConfigSet


def backend_rules(config: HaproxyConfig, backend: Section, target: Target) -> Iterator[Finding]:
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


def web_rules(configs: ConfigSet) -> Iterator[Finding]:
    pages = {
        node: re.sub(r"\s+", " ", text).strip()
        for node, text in configs.pages.items()
        if not is_dynamic(text)
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
