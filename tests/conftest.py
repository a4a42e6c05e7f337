"""Capability markers decided in one place: integration tests need root and the daemons."""

from __future__ import annotations

import os
import signal

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """The tests press Ctrl-C (tmux, killpg) and expect it to reach what they start: a suite
    started in the background (`nohup ... &`) inherits SIGINT ignored, and an ignored signal
    stays ignored in every child. Handled here, it is back to its default in each child."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.fspath).replace(os.sep, "/")
        if "tests/integration/" in path or "tests/e2e/" in path:
            item.add_marker(pytest.mark.requires_root)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("requires_root") and os.geteuid() != 0:
        pytest.skip("needs root (integration test: real namespaces and daemons)")
