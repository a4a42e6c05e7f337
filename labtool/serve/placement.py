"""Where a student's lab runs, behind one interface (issue 23, part 8): today this machine (the
netns backend, the lab named `class-SLUG`, so that the instructor's own `labtool exec --name
class-SLUG ...` reaches it); a department that outgrows one server implements the same three
verbs on Kubernetes pods (a lab fits one pod: its namespaces inside, `hostUsers: false`)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from labtool.backends import DEFAULT_BACKEND, backend_class
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.provision import lab
from labtool.provision.files import Adaptation
from labtool.provision.power import boot_script
from labtool.serve.roster import Student
from labtool.spec.load import default_spec
from labtool.state import load_quietly


class Placement(Protocol):
    def make(self, student: Student, bare: bool) -> None:
        """The student's lab, up (`bare`: the lab by hand, nothing started); nothing done
        where it is up already. Raises LabtoolError, saying why, where it cannot be."""

    def running(self, student: Student) -> bool:
        """Whether the student's lab is up."""

    def remove(self, student: Student) -> None:
        """The student's lab gone, with all it made (their collected work is the server's)."""

    def nodes(self) -> list[str]:
        """The lab's nodes, a terminal each."""

    def prepare(self, labs: int) -> list[str]:
        """Room made for the class's labs (what of the machine changed, said in the lines
        returned), or LabtoolError why there is none."""

    def keep(self, student: Student, folder: Path) -> int:
        """The student's work on their lab's nodes (their own files) copied into `folder`,
        replacing the last copy; how many files."""

    def give_back(self, student: Student, folder: Path) -> int:
        """The work kept in `folder` put back on the lab just made, its nodes then booted
        (their enabled daemons started); how many files (0: none kept)."""

    def hand_in(self, student: Student, archive: Path) -> int:
        """The lab collected as `labtool collect` does, into `archive` (a new path); how many
        files."""

    def shell(self, student: Student, node: str) -> tuple[list[str], dict[str, str]]:
        """The command (and its environment) of a shell on the node, as the node's root,
        within the lab's bounds: what a terminal runs on a pty."""


class _Quiet:
    """up's progress, unsaid: the student's page shows the lab, not its making."""

    def step(self, text: str) -> None:
        pass

    def adaptation(self, change: Adaptation) -> None:
        pass

    def waiting(self, text: str, elapsed_s: float, expected_s: float) -> None:
        pass


class ThisMachine:
    """Students' labs on this machine: the lab as the seed describes it, one per student,
    confined as a graded submission's is (its own user namespace and ids, its cgroups: its
    processes, memory and share of the CPU bounded; this machine's files read-only)."""

    def make(self, student: Student, bare: bool) -> None:
        lab.up(default_spec(student.lab), _Quiet(), bare=bare, options={"confined": "1"})

    def running(self, student: Student) -> bool:
        state = load_quietly(student.lab)
        return state is not None and state.phase == "up"

    def remove(self, student: Student) -> None:
        lab.down(student.lab)

    def nodes(self) -> list[str]:
        return [n.name for n in default_spec().nodes]

    def prepare(self, labs: int) -> list[str]:
        return [str(x) for x in backend_class(DEFAULT_BACKEND).make_room(default_spec(), labs)]

    def shell(self, student: Student, node: str) -> tuple[list[str], dict[str, str]]:
        _, _, backend = lab.open_lab(student.lab)
        return backend.shell_argv(node)

    def keep(self, student: Student, folder: Path) -> int:
        if not self.running(student):
            return 0
        return lab.open_lab(student.lab)[2].keep_work(folder)

    def give_back(self, student: Student, folder: Path) -> int:
        spec, _, backend = lab.open_lab(student.lab)
        files = backend.give_back_work(folder)
        for node in spec.nodes if files else ():  # (a boot: the enabled daemons start)
            done = backend.transport(node.name).run(boot_script(node.role), timeout_s=120)
            if not done.succeeded:
                raise LabtoolError(
                    Msg("{node}: its boot failed: {why}", node=node.name,
                        why=done.describe_failure())
                )  # fmt: skip
        return files

    def hand_in(self, student: Student, archive: Path) -> int:
        from labtool.grading.commands import collect_lab

        return collect_lab(student.lab, archive, "fr")[2]
