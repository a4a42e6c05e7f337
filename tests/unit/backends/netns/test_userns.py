"""The user namespace of a netns lab: the exact commands that make it and give it its ids."""

from __future__ import annotations

from labtool.backends.netns import userns
from labtool.ids import IdMap


def test_the_holder_is_made_before_its_ids_and_entered_as_its_root() -> None:
    assert userns.holder_argv() == ["unshare", "--user", "--", "sleep", "infinity"]
    assert userns.enter_argv(42, ["rm", "-rf", "x"]) == ["nsenter", "-t", "42", "-U", "--",
                                                          "rm", "-rf", "x"]


def test_a_users_ids_are_written_by_the_setuid_helpers() -> None:
    mapped = IdMap(((0, 1001, 1), (1, 100000, 65536)), ((0, 1002, 1), (1, 200000, 65536)))
    assert userns.map_argv(7, mapped) == [
        ["newuidmap", "7", "0", "1001", "1", "1", "100000", "65536"],
        ["newgidmap", "7", "0", "1002", "1", "1", "200000", "65536"],
    ]
