"""The kernel's neighbour (ARP) table, which every network namespace of the machine shares.

Each lab node keeps entries in it (its peers, the VRRP multicast group); past
`net.ipv4.neigh.default.gc_thresh3` (1024 by default) the kernel makes no more ("neighbor table
overflow!" in its log) and VRRP's adverts stop: every lab then splits its brain without a word.
Measured here: a lab of five nodes holds 15-20 entries (up, lose-haproxy1, lose-web1), so the
default table holds about 50 labs; 200 idle labs all split-brained, and recovered once the
thresholds were raised to 4096/8192/16384.

Before a lab is made, `make_room` sees whether the table can hold it beside what runs: root
raises the thresholds (and says so); a normal user, who may not, is refused with the fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labtool.doctor import Check
from labtool.errors import EnvironmentProblem
from labtool.i18n import Msg

PROC = Path("/proc")
THRESHOLDS = "sys/net/ipv4/neigh/default/gc_thresh{}"
STATS = "net/stat/arp_cache"
PER_NODE = 4  # entries a lab node holds at most (measured: 15-20 for five nodes)
USABLE = 0.75  # of gc_thresh3: the rest for the machine's own, and forced collections' slack
RAISED = (4096, 8192, 16384)  # the thresholds root raises to at least (measured: 200 labs)


@dataclass(frozen=True)
class Table:
    entries: int  # in the table now, all namespaces together
    thresholds: tuple[int, int, int]  # gc_thresh1, 2, 3
    overflows: int  # allocations refused since boot ("neighbor table overflow!")

    @property
    def limit(self) -> int:
        return self.thresholds[2]

    def room(self, running_nodes: int) -> int:
        """How many more lab nodes the table holds beside what is in it and what runs."""
        used = max(self.entries, running_nodes * PER_NODE)
        return max(0, (int(self.limit * USABLE) - used) // PER_NODE)


def read_table(proc: Path = PROC) -> Table | None:
    """The table as the kernel says it is; None where it does not say (not Linux)."""
    try:
        thresholds = tuple(
            int((proc / THRESHOLDS.format(n)).read_text().strip()) for n in (1, 2, 3)
        )
        lines = (proc / STATS).read_text().split("\n")
        header = lines[0].split()
        rows = [line.split() for line in lines[1:] if line.strip()]
        entries = int(rows[0][header.index("entries")], 16)  # (the table's, on every row)
        fulls = header.index("table_fulls")
        overflows = sum(int(row[fulls], 16) for row in rows if len(row) > fulls)
    except (OSError, ValueError, IndexError):
        return None
    assert len(thresholds) == 3
    return Table(entries, (thresholds[0], thresholds[1], thresholds[2]), overflows)


def thresholds_for(nodes: int) -> tuple[int, int, int]:
    """The thresholds that hold `nodes` lab nodes: RAISED, or more, by powers of two."""
    limit = RAISED[2]
    while limit * USABLE < nodes * PER_NODE:
        limit *= 2
    return (limit // 4, limit // 2, limit)


def sysctl_settings(thresholds: tuple[int, int, int]) -> str:
    """The thresholds as `sysctl -w` takes them."""
    return " ".join(
        f"net.ipv4.neigh.default.gc_thresh{n}={v}"
        for n, v in zip((1, 2, 3), thresholds, strict=True)
    )


def make_room(nodes: int, running_nodes: int, root: bool, proc: Path = PROC) -> list[str]:
    """Room in the table for a lab of `nodes` nodes beside `running_nodes` nodes of other
    labs: nothing to do, or (root) the thresholds raised, said in the lines returned; a normal
    user where there is none is refused with the fix."""
    table = read_table(proc)
    if table is None or table.room(running_nodes) >= nodes:
        return []
    total = running_nodes + nodes
    wanted = thresholds_for(max(total, table.entries // PER_NODE + nodes))
    setting = sysctl_settings(wanted)
    if not root:
        raise EnvironmentProblem(
            Msg(
                "this machine's neighbour table (gc_thresh3 = {limit}, {entries} entries in "
                "use) cannot hold this lab's {nodes} nodes beside the {running} of the labs "
                "running: VRRP's adverts would stop and the labs split their brains. Fix: as "
                "root, sysctl -w {setting}",
                limit=table.limit,
                entries=table.entries,
                nodes=nodes,
                running=running_nodes,
                setting=setting,
            )
        )
    raised = tuple(max(old, new) for old, new in zip(table.thresholds, wanted, strict=True))
    # (in an order the kernel always takes: gc_thresh1 <= gc_thresh2 <= gc_thresh3)
    for n in (3, 2, 1):
        (proc / THRESHOLDS.format(n)).write_text(f"{raised[n - 1]}\n")
    return [
        Msg(
            "the kernel's neighbour table raised to {raised} (gc_thresh1/2/3, was {was}): "
            "{total} lab nodes need about {need} entries, more than it held; the labs would "
            "have lost their VRRP adverts",
            raised="/".join(map(str, raised)),
            was="/".join(map(str, table.thresholds)),
            total=total,
            need=total * PER_NODE,
        )
    ]


def neighbours_check(proc: Path = PROC) -> Check:
    """`labtool doctor`: the table's headroom, and whether it ever overflowed."""
    table = read_table(proc)
    if table is None:
        return Check("neighbour table", True, "not read (no /proc/net/stat/arp_cache)")
    room = table.room(0)
    detail = (
        f"{table.entries} entries of {table.limit} (gc_thresh3): room for about {room} more "
        f"lab nodes ({room // 5} labs of five)"
    )
    if table.overflows:
        return Check(
            "neighbour table",
            False,
            f"{detail}; it was full {table.overflows} time(s) since boot (VRRP adverts lost "
            "then: labs may have split their brains)",
            f"as root, sysctl -w {sysctl_settings(thresholds_for(0))}",
        )
    return Check("neighbour table", True, detail)
