"""The user namespace of a netns lab: the exact commands that make it and give it its ids."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from labtool.backends.netns import userns
from labtool.ids import ROOT_ID_BASE, IdMap


def test_the_holder_is_made_before_its_ids_and_entered_as_its_root() -> None:
    assert userns.holder_argv() == ["unshare", "--user", "--", "sleep", "infinity"]
    assert userns.enter_argv(42, ["rm", "-rf", "x"]) == [
        "nsenter",
        "-t",
        "42",
        "-U",
        "--",
        "rm",
        "-rf",
        "x",
    ]


def test_a_users_ids_are_written_by_the_setuid_helpers() -> None:
    mapped = IdMap(((0, 1001, 1), (1, 100000, 65536)), ((0, 1002, 1), (1, 200000, 65536)))
    assert userns.map_argv(7, mapped) == [
        ["newuidmap", "7", "0", "1001", "1", "1", "100000", "65536"],
        ["newgidmap", "7", "0", "1002", "1", "1", "200000", "65536"],
    ]


def test_roots_labs_built_side_by_side_each_get_a_block_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `grade --run` builds its labs (threads of one process): no two share a block."""
    from labtool.backends.netns import NetnsBackend
    from labtool.spec.check import spec_to_dict
    from labtool.spec.load import default_spec
    from labtool.state import LabState

    monkeypatch.setenv("LABTOOL_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    backends = []
    for i in range(8):
        spec = default_spec(f"grade-1-{i}")
        state = LabState(name=spec.name, backend="netns", lab=spec_to_dict(spec))
        state.save()
        backends.append(NetnsBackend(spec, state))
    with ThreadPoolExecutor(8) as pool:
        roots = list(pool.map(lambda b: b.id_map().root_uid, backends))
    assert len(set(roots)) == 8
    assert sorted(roots) == [ROOT_ID_BASE + i * 65536 for i in range(8)]
    again = LabState.load("grade-1-3")
    assert again is not None and again.options["id_base"] == str(roots[3])  # (kept)
