"""Which ids of this machine a lab's ids are: root's labs a block each, a user's its own range."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtool import ids
from labtool.errors import EnvironmentProblem


def test_roots_labs_get_a_block_each_above_every_account() -> None:
    first, second = ids.for_root(0), ids.for_root(1)
    assert first.uids == first.gids == ((0, ids.ROOT_ID_BASE, 65536),)
    assert second.root_uid == ids.ROOT_ID_BASE + 65536
    assert ids.for_root(ids.ROOT_SLOTS - 1).root_uid + 65535 < 2**31  # (signed 32-bit tools)
    assert ids.free_slot({ids.ROOT_ID_BASE, ids.ROOT_ID_BASE + 2 * 65536}) == 1
    assert first.options() == {"id_base": str(ids.ROOT_ID_BASE)}


def test_a_user_maps_itself_to_root_and_its_range_to_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subuid, subgid = tmp_path / "subuid", tmp_path / "subgid"
    subuid.write_text("other:100000:65536\nalice:165536:65536\n")
    subgid.write_text("1001:200000:70000\n")  # (by number works too)
    monkeypatch.setattr(ids, "SUBUID", subuid)
    monkeypatch.setattr(ids, "SUBGID", subgid)
    monkeypatch.setattr(ids, "user_name", lambda uid: "alice")
    monkeypatch.setattr(ids.shutil, "which", lambda name: f"/usr/bin/{name}")
    mapped = ids.for_user(1001, 1001)
    assert mapped.uids == ((0, 1001, 1), (1, 165536, 65536))
    assert mapped.gids == ((0, 1001, 1), (1, 200000, 65536))
    assert (mapped.root_uid, mapped.root_gid) == (1001, 1001)


def test_no_range_or_no_newuidmap_is_one_message_with_both_fixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subuid = tmp_path / "subuid"
    subuid.write_text("alice:165536:1000\n")  # (too small for www-data and the rest)
    monkeypatch.setattr(ids, "SUBUID", subuid)
    monkeypatch.setattr(ids, "SUBGID", subuid)
    monkeypatch.setattr(ids, "user_name", lambda uid: "alice")
    with pytest.raises(EnvironmentProblem) as refused:
        ids.for_user(1001, 1001)
    assert "user alice has no range of subordinate ids of 65536" in refused.value.message
    assert "sudo usermod --add-subuids" in refused.value.message
    assert "sudo labtool up" in refused.value.message
    subuid.write_text("alice:165536:65536\n")
    monkeypatch.setattr(ids.shutil, "which", lambda name: None)
    with pytest.raises(EnvironmentProblem) as missing:
        ids.for_user(1001, 1001)
    assert missing.value.message.startswith("newuidmap and newgidmap missing")
    assert "apt-get install -y uidmap" in missing.value.message
