"""The kernel's neighbour table, shared by every lab of the machine: read, its headroom, and
room made before a lab (root raises the thresholds and says so; a normal user is refused with
the fix). On a /proc laid out in a folder: the real table is the machine's."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtool.backends.netns import neighbours
from labtool.errors import EnvironmentProblem

HEADER = (
    "entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast "
    "rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls"
)


def fake_proc(
    tmp_path: Path,
    entries: int,
    limits: tuple[int, int, int] = (128, 512, 1024),
    fulls: tuple[int, ...] = (0, 0),
) -> Path:
    proc = tmp_path / "proc"
    folder = proc / "sys/net/ipv4/neigh/default"
    folder.mkdir(parents=True)
    for n, value in zip((1, 2, 3), limits, strict=True):
        (folder / f"gc_thresh{n}").write_text(f"{value}\n")
    (proc / "net/stat").mkdir(parents=True)
    rows = [f"{entries:08x} 00007f10 00008e5b 00000003 0 0 0 0 0 0 0 0 {f:08x}" for f in fulls]
    (proc / "net/stat/arp_cache").write_text("\n".join([HEADER, *rows]) + "\n")
    return proc


def limits(proc: Path) -> list[int]:
    folder = proc / "sys/net/ipv4/neigh/default"
    return [int((folder / f"gc_thresh{n}").read_text()) for n in (1, 2, 3)]


def test_the_table_as_the_kernel_writes_it(tmp_path: Path) -> None:
    table = neighbours.read_table(fake_proc(tmp_path, 0x11, fulls=(2, 3)))
    assert table is not None
    assert (table.entries, table.thresholds, table.overflows) == (17, (128, 512, 1024), 5)
    assert neighbours.read_table(tmp_path / "nowhere") is None


def test_the_default_table_holds_about_forty_labs_of_five(tmp_path: Path) -> None:
    table = neighbours.read_table(fake_proc(tmp_path, 0))
    assert table is not None and table.room(0) == 192  # 768 entries usable, 4 a node
    assert table.room(150) == 42  # 150 nodes running


def test_room_enough_changes_nothing(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, 17)
    assert neighbours.make_room(5, 10, root=True, proc=proc) == []
    assert limits(proc) == [128, 512, 1024]


def test_root_raises_the_thresholds_and_says_so(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, 700)
    said = neighbours.make_room(5, 190, root=True, proc=proc)  # 38 labs running
    assert limits(proc) == [4096, 8192, 16384]
    assert (
        len(said) == 1 and "raised to 4096/8192/16384" in said[0] and "was 128/512/1024" in said[0]
    )


def test_a_class_beyond_the_raised_table_gets_a_larger_one(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, 0)
    neighbours.make_room(5, 4000, root=True, proc=proc)  # 800 labs
    assert limits(proc) == [8192, 16384, 32768]


def test_thresholds_already_higher_are_never_lowered(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, 1000, limits=(5000, 6000, 1100))
    neighbours.make_room(5, 0, root=True, proc=proc)
    assert limits(proc) == [5000, 8192, 16384]


def test_a_normal_user_without_room_is_refused_with_the_fix(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, 760)
    with pytest.raises(EnvironmentProblem) as refused:
        neighbours.make_room(5, 0, root=False, proc=proc)
    text = str(refused.value)
    assert "cannot hold this lab's 5 nodes" in text and "split their brains" in text
    assert "Fix: as root, sysctl -w net.ipv4.neigh.default.gc_thresh1=4096" in text
    assert limits(proc) == [128, 512, 1024]  # nothing changed


def test_doctor_says_the_headroom_and_any_overflow(tmp_path: Path) -> None:
    check = neighbours.neighbours_check(fake_proc(tmp_path / "a", 17))
    assert check.ok and "17 entries of 1024" in check.detail and "about 187 more" in check.detail
    check = neighbours.neighbours_check(fake_proc(tmp_path / "b", 17, fulls=(1, 0)))
    assert not check.ok and "full 1 time(s) since boot" in check.detail
    assert "gc_thresh3=16384" in check.fix
