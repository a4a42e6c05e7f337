"""Plain data every backend reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class NodeStatus:
    """One node as a backend sees it now."""

    name: str
    role: str
    address: str
    up: bool
    daemons: dict[str, bool] = field(default_factory=dict)
    addresses: list[str] = field(default_factory=list)


@dataclass
class NodeHere:
    """A node whose namespaces are this machine's, as a probe of this process reads it."""

    netns: Path  # its network namespace (entering it from here takes root)
    gone_fd: int  # readable once the node is gone (whoever asked owns it, and closes it)
