"""What the page can do, one thing at a time and only when clicked: run a scenario, halt or
start a node (`labtool halt`/`up NODE`), stop or start a daemon, export the report. Each runs
on a thread of its own and shows on the page's timeline (started, then done or failed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labtool.backends.base import Backend
from labtool.errors import LabtoolError, UsageError
from labtool.i18n import Msg
from labtool.provision import power
from labtool.provision.node import systemctl
from labtool.report import load_results
from labtool.report.sheet import Sheet
from labtool.scenarios import engine
from labtool.scenarios.engine import ScenarioError
from labtool.scenarios.model import list_scenarios, load_scenario
from labtool.scenarios.result import Frame, results_dir
from labtool.scenarios.tp import write_report
from labtool.spec import roles
from labtool.spec.model import LabSpec
from labtool.state import LabState
from labtool.watch.feed import Feed
from labtool.watch.hub import Hub

TABLE_ROWS = (("web", "lose-web1"), ("haproxy", "lose-haproxy1"))  # the lab's table
FINISH_S = 300.0  # at the end of the watch: a running scenario's restore, at most this long


class Busy(LabtoolError):
    """Another action still runs."""


class Actions:
    def __init__(self, spec: LabSpec, backend: Backend, hub: Hub, feed: Feed, lang: str) -> None:
        self.spec, self.backend, self.hub, self.feed, self.lang = spec, backend, hub, feed, lang
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.count = 0
        hub.scenarios = list_scenarios()
        units = {s.name: s.unit for n in spec.nodes for s in roles.services(n.role)}
        hub.status["units"] = units  # (a daemon's name in status -> the lab's unit)
        hub.table = self.table()

    def start(self, request: dict[str, Any]) -> dict[str, Any]:
        """Check the request, then run it on its own thread; what the timeline will call it."""
        what, work = self._parse(request)
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                running = self.hub.action["what"] if self.hub.action else "an action"
                raise Busy(f"{running} is still running")
            self.count += 1
            action: dict[str, Any] = {"id": self.count, "what": what, "state": "started"}
            self.hub.set_action(action)
            self.thread = threading.Thread(
                target=self._run, args=(action, work), name=f"watch-{what}", daemon=True
            )
            self.hub.publish("action", **action)
            self.thread.start()
        return action

    def _run(self, action: dict[str, Any], work: Callable[[], str]) -> None:
        started = time.monotonic()
        try:
            message, state = work(), "done"
        except (LabtoolError, OSError) as exc:
            message, state = str(exc), "failed"
        finally:
            self.hub.set_action(None)
            self.feed.wake()
        took = round(time.monotonic() - started, 2)
        self.hub.publish("action", **{**action, "state": state, "message": message, "s": took})

    def finish(self) -> None:
        """Wait for the running action (a scenario restores the cluster before it ends)."""
        thread = self.thread
        if thread is not None:
            thread.join(timeout=FINISH_S)

    def _parse(self, request: dict[str, Any]) -> tuple[str, Callable[[], str]]:
        kind = request.get("action")
        node = str(request.get("node", ""))
        if kind == "scenario":
            name = str(request.get("name", ""))
            if name not in list_scenarios():
                raise UsageError(Msg("unknown scenario '{name}'", name=name))
            return f"scenario {name}", lambda: self._scenario(name)
        if kind == "report":
            return "report", self._report
        if kind in ("halt", "up", "daemon") and node not in {n.name for n in self.spec.nodes}:
            raise UsageError(Msg("unknown node '{node}'", node=node))
        if kind == "halt":
            force = bool(request.get("force", False))
            return f"halt {'--force ' if force else ''}{node}", lambda: self._halt(node, force)
        if kind == "up":
            return f"up {node}", lambda: self._up(node)
        if kind == "daemon":
            op, unit = request.get("op"), str(request.get("unit", ""))
            units = {s.unit: s for s in roles.services(self.spec.node(node).role)}
            if op not in ("start", "stop") or unit not in units:
                raise UsageError(
                    Msg("{node}: no such daemon action: {op} {unit}", node=node, op=op, unit=unit)
                )
            return f"systemctl {op} {unit} on {node}", lambda: self._daemon(node, str(op), unit)
        raise UsageError(Msg("unknown action '{kind}'", kind=kind))

    def _scenario(self, name: str) -> str:
        phases: list[str] = []

        def view(frame: Frame) -> None:
            if not phases or phases[-1] != frame.phase:
                phases.append(frame.phase)
                self.hub.publish("phase", scenario=name, phase=frame.phase)

        self.hub.set_table(self.table(running=name))  # (a page opened meanwhile sees it too)
        self.feed.pause()
        try:
            result = engine.run(
                self.spec, self.backend, load_scenario(name), view=view, listen=self.feed.on_event
            )
        except ScenarioError as exc:
            raise LabtoolError(Msg("{name}: error: {exc}", name=name, exc=exc)) from exc
        finally:
            self.feed.resume()
            self.hub.set_table(self.table())
        failed = [c.fact for c in result.checks if not c.ok]
        return f"{name}: {result.verdict}" + (f" ({', '.join(failed)})" if failed else "")

    def _halt(self, node: str, force: bool) -> str:
        report = power.halt(self.spec, self._state(), self.backend, node, force)
        return f"{node} halted" + (
            f" (stopped {', '.join(report.stopped)})" if report.stopped else ""
        )

    def _up(self, node: str) -> str:
        report = power.power_up(self.spec, self._state(), self.backend, node)
        return f"{node} is up" + (
            f": started {', '.join(report.started)}" if report.started else ""
        )

    def _daemon(self, node: str, op: str, unit: str) -> str:
        systemctl(self.backend.transport(node), node, op, unit)
        return f"{unit} {'started' if op == 'start' else 'stopped'} on {node}"

    def _report(self) -> str:
        output = Path.cwd() / f"labtool-{self.spec.name}-report.html"
        write_report(self.spec.name, "html", self.lang, output)
        return f"report written to {output}"

    def _state(self) -> LabState:
        state = LabState.load(self.spec.name)
        if state is None:
            raise LabtoolError(Msg("lab '{name}' is not up any more", name=self.spec.name))
        return state

    def table(self, running: str | None = None) -> list[dict[str, str]]:
        """The lab's table: each row's expected and observed, from the scenarios measured."""
        try:
            results = load_results(results_dir(self.spec.name))
        except LabtoolError:
            results = {}
        sheet = Sheet(results, self.lang, str(self.spec.vip))
        rows = []
        for kind, scenario in TABLE_ROWS:
            label, expected, observed = sheet.row(kind, scenario)
            state = "running" if scenario == running else "done" if scenario in results else "todo"
            rows.append({"row": kind, "scenario": scenario, "test": label,
                         "expected": expected, "observed": observed, "state": state})  # fmt: skip
        return rows
