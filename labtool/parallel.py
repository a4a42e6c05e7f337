"""Work on every node at once (threads: the work is waiting on processes and sockets)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from labtool.spec.model import Node


def for_each_node(nodes: Sequence[Node], work: Callable[[Node], None]) -> None:
    """Run work(node) for every node at once; the first error is raised after all ended."""
    with ThreadPoolExecutor(max_workers=max(1, len(nodes))) as pool:
        for future in [pool.submit(work, node) for node in nodes]:
            future.result()
