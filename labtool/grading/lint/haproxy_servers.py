"""Lint rules on the servers of the backend HAProxy serves, against the lab's web nodes (each
one there, no other), and the two load balancers' HAProxy serving the same nodes."""

from __future__ import annotations

from collections.abc import Iterator

from labtool.configs.haproxy import HaproxyConfig
from labtool.grading.lint.haproxy import HaproxyAt, server_address
from labtool.grading.lint.registry import Say, rule
from labtool.grading.submission.configset import ConfigSet
from labtool.i18n import Msg


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
                message=Msg(
                    "{web} ({address}) is not a server of backend {name}",
                    web=web,
                    address=address,
                    name=first.name,
                ),
                where=first,
                why=Msg("HAProxy never sends a request to {web}", web=web),
                fix=Msg("server {web} {address}:80 check", web=web, address=address),
            )
    real = {a for a in addresses if not a.startswith(("127.", "localhost"))}
    if not webs and len(real) < at.target.web_count:
        yield Say(
            message=Msg(
                "backend {name} has {count} server(s) for {web_count} web nodes",
                name=first.name,
                count=len(real),
                web_count=at.target.web_count,
            ),
            where=first,
            why=Msg("HAProxy never sends a request to the others"),
            fix=Msg("one server line per web node, each with check"),
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
                    message=Msg(
                        "server {server} {address} in backend {name} is not a web node",
                        server=server.words[1],
                        address=server.words[2],
                        name=backend.name,
                    ),
                    where=server,
                    why=Msg(
                        "HAProxy sends it requests that fail (the CentOS 7 default's `use_backend"
                        " static` sends /static, .css, .js... to 127.0.0.1:4331, where nothing "
                        "listens)"
                    ),
                    fix=Msg("remove it, or comment out the use_backend that leads there"),
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
                message=Msg(
                    "{label} sends to {served} but {first} to {first_served}",
                    label=label,
                    served=", ".join(sorted(served[label])) or "nothing",
                    first=labels[0],
                    first_served=", ".join(sorted(served[labels[0]])) or "nothing",
                ),
                file=configs.haproxy[label].file,
                why=Msg("after a failover the service changes"),
                fix=Msg("use the same haproxy.cfg on both load balancers"),
            )
