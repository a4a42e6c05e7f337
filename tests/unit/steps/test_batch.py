"""A check's commands for one node run in one process (labtool/steps/batch.py), and a check
in rounds of such batches (Checker.check_all) gives what one command at a time gives."""

from __future__ import annotations

import subprocess
from pathlib import Path

from labtool.provision.files import Versions
from labtool.runner import CommandResult
from labtool.spec.load import default_spec
from labtool.spec.model import Node
from labtool.steps import batch
from labtool.steps.check import Checker
from labtool.steps.model import Step


def sh(script: str, timeout_s: float | None = 20) -> CommandResult:
    done = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, timeout=timeout_s, check=False
    )
    return CommandResult(("sh",), done.returncode, done.stdout, done.stderr)


def test_each_command_s_output_and_status_come_back_apart() -> None:
    """Outputs as printed (a last newline or not, empty), statuses each their own; a command
    that exits or reads its input ends only itself; a line like a mark but not this batch's
    is output."""
    commands = [
        "printf 'a\\nb\\n'",
        "printf 'no newline'; false",
        "exit 3",
        "cat; echo read-nothing",
        "echo '@@labtool-0000 0'",
        "true",
    ]
    mark = batch.new_mark()
    found = batch.split(sh(batch.script(commands, mark)).stdout, mark, len(commands))
    assert found == [
        (True, "a\nb\n"),
        (False, "no newline"),
        (False, ""),
        (True, "read-nothing\n"),
        (True, "@@labtool-0000 0\n"),
        (True, ""),
    ]
    assert batch.new_mark() != mark


def test_a_batch_cut_short_fails_what_it_did_not_finish() -> None:
    mark = batch.new_mark()
    out = sh(batch.script(["echo one", "echo two"], mark)).stdout
    cut = out[: out.index("two") + 3]
    assert batch.split(cut, mark, 3) == [(True, "one\n"), (False, "two"), (False, "")]


class Local:
    """A node's transport that runs the batch on this machine: the commands here only read
    and write files in a temporary folder (a stand-in for a node, counting its entries)."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def run(self, script: str, timeout_s: float | None = None) -> CommandResult:
        self.calls.append(script)
        return sh(script, timeout_s)


class Nodes:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def is_up(self, node: str) -> bool:
        return node != "web2"

    def transport(self, node: str) -> Local:
        return Local(self.calls)


class Chained(Checker):
    """A kind whose commands depend on what the one before said, as `running`'s do."""

    def __init__(self, backend: Nodes, folder: Path) -> None:
        super().__init__(default_spec(), backend, Versions((2, 6), (2, 2, 7), False), "en")  # type: ignore[arg-type]
        self.folder = folder

    def _chain(self, step: Step, node: Node) -> list[str]:
        first = self.read(node.name, str(self.folder / f"{node.name}-first"))
        if first is None:
            return ["no first"]
        ok, out = self.run(node.name, f"cat {self.folder}/{first.strip()} && exit 1")
        if ok:
            return []
        return [f"then: {out.strip()}"] + ([] if self.read(node.name, "/nonexistent") else ["x"])


def test_a_check_in_rounds_says_what_one_command_at_a_time_says(tmp_path: Path) -> None:
    """The same findings, whatever each node answered; each node entered once a round (three
    here: a command asked from another's answer), not once a command."""
    for node, second in (("haproxy1", "a"), ("haproxy2", "b"), ("web1", "a")):
        (tmp_path / f"{node}-first").write_text(f"{second}\n")
    (tmp_path / "a").write_text("from a\n")
    steps = [Step(role, {}, {}, role, "chain") for role in ("lb", "web", "client", "lb")]
    alone, rounds = Nodes(), Nodes()
    one_at_a_time = [Chained(alone, tmp_path).check(step) for step in steps]
    together = Chained(rounds, tmp_path).check_all(steps)
    assert together == one_at_a_time
    assert [r.missing for r in together[:3]] == [
        ["haproxy1: then: from a", "haproxy1: x", "haproxy2: then: ", "haproxy2: x"],
        ["web1: then: from a", "web1: x", "web2 is down"],
        ["client: no first"],
    ]
    nodes_up = 4
    assert len(alone.calls) > 3 * nodes_up
    assert len(rounds.calls) <= 3 * nodes_up
