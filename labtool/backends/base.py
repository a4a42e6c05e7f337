"""What every backend offers: build a lab's nodes, a transport per node, status, destroy."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from labtool.backends.base_types import NodeHere, NodeStatus
from labtool.i18n import Msg
from labtool.parallel import for_each_node
from labtool.spec.model import LabSpec, Node
from labtool.state import LabState
from labtool.transport.base import Transport

if TYPE_CHECKING:
    from labtool.doctor import Check

__all__ = ["Backend", "NodeStatus"]


class Backend(ABC):
    """Lifecycle of the nodes of one lab. Lab logic (what runs where, in which order) is not
    here: it lives in labtool.provision.lab and reaches nodes through `transport()`."""

    name: str
    # Added to a scenario's upper time bounds: how much later than the protocols' own timers
    # this backend's machines may show a change to the client (0 for namespaces).
    timing_margin_s: float = 0.0
    # Whether the nodes read the same CLOCK_MONOTONIC as labtool (namespaces of this machine)
    # or each a clock of its own (machines), which labtool then maps onto its own.
    shares_clock: bool = True
    # Whether labtool itself must run as root to drive this backend (namespaces: yes).
    needs_root: ClassVar[bool] = False
    # Whether the nodes install their own packages (the provision/ recipe runs on machines)
    # or use this machine's installed daemons (namespaces).
    installs_packages: ClassVar[bool] = True
    # What `up` says while create() runs.
    create_label: ClassVar[str] = "creating"
    # How often the live view (`labtool watch`) looks at each node's power and daemons:
    # namespaces, a look at /proc; machines, an SSH round trip each.
    poll_s: ClassVar[float] = 0.5
    # how often an agent on a node polls its HAProxy's stats socket (where this machine cannot)
    stats_interval_s: ClassVar[float] = 0.1

    def __init__(self, spec: LabSpec, state: LabState) -> None:
        self.spec = spec
        self.state = state
        # Where a long create() says what it is doing (a machine's boot, line by line).
        self.on_line: Callable[[str], None] = lambda line: None

    @classmethod
    def check_machine(cls, options: Mapping[str, str] | None = None) -> None:
        """Raise one clear message if this machine cannot drive the backend (missing binary or
        provider, not root where root is needed) with these options (a provider). Called
        before anything is created or changed."""
        return None

    @classmethod
    def make_room(cls, spec: LabSpec, labs: int = 1) -> list[str]:
        """Make this machine ready to hold `labs` labs more of this spec (raise what must be,
        where allowed), or raise one clear message why it cannot; what was changed, said in
        the lines returned. Called before the lab is created (serve: for its whole class)."""
        return []

    @classmethod
    def split_brain_cause(cls) -> str | None:
        """What of this machine can split every lab's brain at once, where it did (said
        beside a VIP held twice); None: nothing known."""
        return None

    @classmethod
    def doctor(cls, spec: LabSpec, options: Mapping[str, str]) -> list[Check]:
        """Every check of this machine for the backend (`labtool doctor --backend NAME`),
        each with its fix."""
        return []

    @classmethod
    def running_labs(cls) -> set[str]:
        """Labs this backend has on the machine that may have no state file left."""
        return set()

    @classmethod
    def other_owners(cls, lab: str) -> set[int]:
        """The other users (uids) that have a lab of this name here, as far as this user may
        see (root: all)."""
        return set()

    @classmethod
    def leftovers(cls, lab: str) -> bool:
        """Whether something of the lab is left on the machine (an interrupted up)."""
        return False

    def build_batches(self, first: Node) -> list[tuple[Node, ...]]:
        """The groups of nodes create() makes, in order; `first` is the intended MASTER. One
        group by default; a backend whose nodes come up in a blink makes `first` alone first,
        so that its keepalived starts VRRP's wait while the others are built."""
        return [self.spec.nodes]

    def ssh_transport(self, node: str) -> Transport:
        """A transport over real SSH to the node (`labtool provision --via ssh`)."""
        from labtool.errors import LabtoolError

        raise LabtoolError(
            Msg("the {name} backend has no SSH transport. Fix: --via nsenter", name=self.name)
        )

    def agent_program(self, node: str) -> list[str] | None:
        """How the probe agent runs on a node: None for this very Python (a node that sees
        this machine's files); else the argv prefix of a copy on the node."""
        return None

    def watch_from_here(self, node: str) -> NodeHere | None:
        """Whether a socket opened in the node works from this process (its namespaces are
        this machine's): then its addresses are read from here (probes.addresses), on a
        socket that must close once the node is gone (it keeps the node's network, and its
        end of the cable, alive); None: an agent on the node watches them."""
        return None

    def is_up(self, node: str) -> bool:
        """Whether the node has power, as cheaply as the backend can tell (waits ask often)."""
        return self.node_status(node, addresses=False).up

    def local_path(self, node: str, path: str) -> Path | None:
        """Where a file of the node is, seen from here (a stats socket), or None."""
        return None

    def node_macs(self) -> dict[str, str]:
        """node -> MAC of its NIC on the LAN: read once from each node that answers, then kept
        in the lab's state (a machine keeps its MAC across power cycles)."""
        missing = [n for n in self.spec.nodes if n.name not in self.state.macs]

        def read(node: Node) -> None:
            try:
                found = self.transport(node.name).run(
                    ["cat", f"/sys/class/net/{self.spec.nic}/address"], timeout_s=30
                )
            except Exception:  # a node that is down has no transport: read it another time
                return
            if found.succeeded and found.stdout.strip():
                self.state.macs[node.name] = found.stdout.strip().lower()

        if missing:
            for_each_node(missing, read)
            self.state.save()
        return dict(self.state.macs)

    @abstractmethod
    def create(self, nodes: Sequence[Node]) -> None:
        """Bring these nodes up with their network and their distribution's files, no daemon
        started (provisioning does the rest through transports); keep what is needed to find
        them again in the state."""

    @abstractmethod
    def power_off(self, node: str) -> None:
        """The node loses power: every process gone, its link down."""

    @abstractmethod
    def power_on(self, node: str) -> None:
        """The node is back, with its files and network (and the net.* lines of its
        /etc/sysctl.conf applied, as at a boot), no daemon started yet."""

    @abstractmethod
    def set_link(self, node: str, up: bool) -> None:
        """Cut or restore the node's cable to the LAN."""

    @abstractmethod
    def cut_vrrp(self, nodes: list[str], cut: bool) -> bool:
        """Drop (or stop dropping) VRRP between these nodes on the LAN; whether that changed
        anything (uncut: whether a cut was there)."""

    @abstractmethod
    def transport(self, node: str) -> Transport:
        """A transport to a node that is up."""

    @abstractmethod
    def node_status(self, node: str, addresses: bool = True) -> NodeStatus:
        """Whether the node is up, which daemons run, and (if asked) its NIC's addresses."""

    @abstractmethod
    def shell_argv(self, node: str) -> tuple[list[str], dict[str, str]]:
        """argv and environment of an interactive shell on the node."""

    @abstractmethod
    def memory_kib(self) -> int:
        """Memory of all the lab's processes together."""

    def commands_left(self) -> list[str]:
        """Commands (as "node: command") a labtool that was killed started on the nodes and
        that still run: until they end, a look at the lab sees what they are about to
        change (a daemon still running that a `systemctl stop` of theirs is stopping)."""
        return []

    # A confined lab (labtool grade --run: someone else's configs), where a backend can make
    # one (`can_confine`; asked with the lab state's option confined = "1").
    can_confine = False

    def limits_hit(self) -> list[str]:
        """The bounds a confined lab reached ('processes', 'memory')."""
        return []

    def peak_memory_kib(self) -> int | None:
        """The most memory a confined lab used at once, where the machine says."""
        return None

    def keep_work(self, folder: Path) -> int:
        """The nodes' own files (what was installed, edited, enabled) copied into `folder`,
        replacing the copy before; how many files. Where a backend cannot: LabtoolError."""
        from labtool.errors import LabtoolError

        raise LabtoolError(Msg("the {name} backend cannot keep a lab's files", name=self.name))

    def give_back_work(self, folder: Path) -> int:
        """The files `keep_work` kept, onto this lab's nodes (made since, no daemon started
        from them yet); how many files (0: none kept)."""
        from labtool.errors import LabtoolError

        raise LabtoolError(Msg("the {name} backend cannot keep a lab's files", name=self.name))

    @classmethod
    @abstractmethod
    def destroy(cls, lab: str) -> int:
        """Remove everything the lab made; returns how many processes/machines were removed."""
