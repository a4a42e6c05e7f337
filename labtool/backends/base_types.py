"""Plain data every backend reports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class NodeStatus:
    """One node as a backend sees it now."""

    name: str
    role: str
    address: str
    up: bool
    daemons: dict[str, bool] = field(default_factory=dict)
    addresses: list[str] = field(default_factory=list)
