"""The live view of a running scenario (rich): VIP holder, servers, requests, time."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from labtool.i18n import translation
from labtool.scenarios.engine import Frame

WEB_STYLES = ("green", "cyan", "magenta", "blue", "yellow")


def render(frame: Frame, lang: str = "en") -> Group:
    """One frame of a scenario, in `lang`."""
    _ = translation(lang)
    clock = _("baseline") if frame.since_fault_s is None else f"t = {frame.since_fault_s:+.2f} s"
    head = Text.assemble((f"{frame.scenario}", "bold"), f"  {frame.phase}  ", (clock, "bold"))
    vip = ", ".join(frame.vip_nodes) or _("nobody")
    arp = ", ".join(frame.arp_nodes) or "-"
    state = Text(
        _("VIP held by: {vip}   answering ARP: {arp}").format(vip=vip, arp=arp),
        style="bold red" if len(frame.vip_nodes) > 1 or len(frame.arp_nodes) > 1 else "",
    )
    servers = Table(box=None, show_header=True, pad_edge=False)
    servers.add_column(_("HAProxy on"))
    names = sorted({s for lb in frame.servers.values() for s in lb if s != "*"})
    for name in names:
        servers.add_column(name)
    for lb, statuses in sorted(frame.servers.items()):
        servers.add_row(
            lb,
            *[
                Text(statuses.get(n, "-"), style="green" if statuses.get(n) == "UP" else "red")
                for n in names
            ],
        )
    stream = Text(_("requests: "))
    webs = sorted({r["node"] for r in frame.recent if r.get("node")})
    for request in frame.recent:
        if request.get("ok"):
            node = request.get("node") or "?"
            index = webs.index(node) if node in webs else 0
            stream.append(node[-1], style=WEB_STYLES[index % len(WEB_STYLES)])
        elif request.get("status") == 200:
            stream.append("s", style="yellow")
        else:
            stream.append(
                "x" if not request.get("status") else str(request["status"])[0], style="bold red"
            )
    legend = Text(_("  (digit: web node that answered, s: slow, x: failed, 5: 5xx)"), style="dim")
    return Group(head, state, servers, stream + legend)
