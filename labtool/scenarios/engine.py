"""The scenario engine (layer 5): one generic loop for every scenario file.

Preconditions, probes on, a baseline, the fault, then wait until the scenario's condition holds
within its deadline while the probes record, a short settle, probes off; the restore step runs
always (also on failure and on Ctrl-C); then facts, theory and a verdict. Never a blind sleep:
every wait is for a condition, with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtool import lab as labmod
from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.facts import SLOW_S, Facts, Theory, compute, theory_from_configs
from labtool.probes.recorder import (
    LineReader,
    Recorder,
    StatsPoller,
    agent_argv,
    feed_agent_line,
    read_servers,
    vip_line,
)
from labtool.provisioning import LB_SYSCTLS
from labtool.scenarios.model import Action, Scenario, apply_variant, evaluate
from labtool.spec import LabSpec
from labtool.state import lab_dir

TICK_S = 0.05
PROBE_RATE = 50.0  # requests per second from the client node
REQUEST_TIMEOUT_S = 10.0
STATS_SOCKET = "/var/lib/haproxy/stats"  # the lab's haproxy.cfg: stats socket


@dataclass
class Frame:
    """What the live view shows, each tick."""

    scenario: str
    phase: str
    since_fault_s: float | None
    vip_nodes: list[str]
    arp_nodes: list[str]
    servers: dict[str, dict[str, str]]
    recent: list[dict[str, Any]]


@dataclass
class Check:
    fact: str
    expected: str
    observed: Any
    ok: bool


@dataclass
class ScenarioResult:
    scenario: str
    title: dict[str, str]
    summary: dict[str, str]
    row: str | None
    lab: str
    variant: str | None
    verdict: str
    condition_met: bool
    condition_s: float | None
    facts: Facts
    theory: dict[str, float]
    checks: list[Check]
    events: list[dict[str, Any]]
    fault: list[dict[str, Any]]
    started_at: float
    duration_s: float
    waits_s: float  # time spent waiting on what the protocols impose (for the tool's overhead)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        facts = self.facts.as_dict()
        return {
            "scenario": self.scenario,
            "title": self.title,
            "summary": self.summary,
            "row": self.row,
            "lab": self.lab,
            "variant": self.variant,
            "verdict": self.verdict,
            "expected": {c.fact: c.expected for c in self.checks},
            "observed": {c.fact: c.observed for c in self.checks},
            "checks": [c.__dict__ for c in self.checks],
            "metrics": {
                "outage_s": facts["outage_s"],
                "vip_holder_before": facts["vip_holder_before"],
                "vip_holder_after": facts["vip_holder_after"],
                **{k: v for k, v in facts.items()
                   if k not in ("outage_s", "vip_holder_before", "vip_holder_after")},
            },
            "theory": self.theory,
            "condition_met": self.condition_met,
            "condition_s": self.condition_s,
            "fault": self.fault,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "protocol_waits_s": round(self.waits_s, 3),
            "notes": self.notes,
            "events": self.events,
        }


def fact_value(facts: Facts, path: str) -> Any:
    """A fact by name, or inside a dict fact with a dot: 'haproxy_detect_s.web1'."""
    name, _, key = path.partition(".")
    value = facts.as_dict().get(name)
    if key:
        value = value.get(key, 0 if name in ("status_counts", "served_after_detect",
                                             "served_after", "served_before") else None) \
            if isinstance(value, dict) else None
    return value


def judge(scenario: Scenario, facts: Facts, theory: dict[str, float]) -> list[Check]:
    checks = []
    for expectation in scenario.expect:
        observed = fact_value(facts, expectation.fact)
        if expectation.equals is not None:
            ok = observed == expectation.equals
            expected = json.dumps(expectation.equals, ensure_ascii=False)
        else:
            low, high = expectation.bounds(theory)
            ok = isinstance(observed, int | float) and not isinstance(observed, bool) and \
                (low is None or observed >= low) and (high is None or observed <= high)
            expected = (f">= {low:g}" if low is not None else "") + \
                (" and " if low is not None and high is not None else "") + \
                (f"<= {high:g}" if high is not None else "")
        checks.append(Check(expectation.fact, expected, observed, ok))
    return checks


class Cluster:
    """Lab actions and checks the engine needs, over any backend."""

    def __init__(self, spec: LabSpec, backend: Backend) -> None:
        self.spec = spec
        self.backend = backend

    def systemctl(self, node: str, verb: str, service: str) -> None:
        labmod.systemctl(self.backend, self.spec.node(node), verb, service)

    def boot(self, node: str) -> None:
        """Power back on and start the node's daemons, as its boot would."""
        target = self.spec.node(node)
        self.backend.power_on(node, LB_SYSCTLS if target.role == "lb" else {})
        for service in {"web": ["httpd"], "lb": ["haproxy", "keepalived"]}.get(target.role, []):
            self.systemctl(node, "start", service)

    def apply(self, action: Action) -> None:
        for node in action.nodes:
            if action.kind == "power_off":
                self.backend.power_off(node)
            elif action.kind == "power_on":
                self.boot(node)
            elif action.kind in ("link_down", "link_up"):
                self.backend.set_link(node, action.kind == "link_up")
            elif action.kind in ("stop_service", "start_service"):
                assert action.service
                self.systemctl(node, action.kind.split("_")[0], action.service)
            elif action.kind == "kill_service":
                assert action.service
                self.backend.transport(node).run(["killall", "-9", action.service])
        if action.kind in ("cut_vrrp", "uncut_vrrp"):
            self.backend.cut_vrrp(list(action.nodes), action.kind == "cut_vrrp")

    def node_ready(self, node: str) -> bool:
        status = self.backend.node_status(node)
        return status.up and all(status.daemons.values())

    def vip_nodes(self) -> list[str]:
        return [n.name for n in self.spec.by_role("lb")
                if str(self.spec.vip) in self.backend.node_status(n.name).addresses]

    def all_ready(self) -> bool:
        return all(self.node_ready(n.name) for n in self.spec.nodes) and \
            len(self.vip_nodes()) == 1

    def make_whole(self, deadline_s: float) -> None:
        """Every node up with its daemons, VRRP uncut, one VIP holder (after a Ctrl-C too)."""
        with contextlib.suppress(LabtoolError):
            self.backend.cut_vrrp([n.name for n in self.spec.by_role("lb")], False)
        for node in self.spec.nodes:
            status = self.backend.node_status(node.name)
            if not status.up:
                self.boot(node.name)
                continue
            for daemon, running in status.daemons.items():
                if not running:
                    self.systemctl(node.name, "start",
                                   "httpd" if daemon == "apache2" else daemon)
        wait_for(self.all_ready, deadline_s, "the whole cluster back (every node up with its "
                 "daemons, one VIP holder)")

    def read(self, node: str, path: str) -> str:
        result = self.backend.transport(node).run(["cat", path])
        return result.stdout if result.succeeded else ""

    def theory(self) -> Theory:
        lbs = self.spec.by_role("lb")
        keepalived = {n.name: self.read(n.name, "/etc/keepalived/keepalived.conf") for n in lbs}
        return theory_from_configs(self.spec, keepalived,
                                   self.read(lbs[0].name, "/etc/haproxy/haproxy.cfg"))


def wait_for(condition: Callable[[], bool], deadline_s: float, what: str,
             on_tick: Callable[[], None] | None = None) -> float:
    """Wait until `condition` holds; its time, or a LabtoolError after `deadline_s`."""
    started = time.monotonic()
    while True:
        if on_tick:
            on_tick()
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > deadline_s:
            raise LabtoolError(f"not within {deadline_s:.1f} s: {what}")
        time.sleep(TICK_S)


def start_agent(spec: LabSpec, backend: Backend, recorder: Recorder,
                duration_s: float) -> LineReader:
    """The probe agent in the client node, its JSON lines feeding the recorder."""
    client = backend.transport(spec.client.name)
    return LineReader(client.argv(agent_argv(spec, rate=PROBE_RATE, duration_s=duration_s,
                                             timeout_s=REQUEST_TIMEOUT_S)),
                      client.env(), lambda line: feed_agent_line(recorder, line),
                      stdin_pipe=True)


class Probes:
    """The client agent, an `ip monitor` per load balancer, HAProxy's stats: all recording."""

    def __init__(self, spec: LabSpec, backend: Backend, recorder: Recorder,
                 agent: LineReader) -> None:
        self.spec, self.backend, self.recorder = spec, backend, recorder
        self.monitors: dict[str, LineReader] = {}
        for name in self.lb_names():
            if backend.node_status(name).up:
                self.watch(name)
        self.stats = StatsPoller(recorder, stats_sockets(spec, backend)).start()
        self.agent = agent

    def lb_names(self) -> list[str]:
        return [n.name for n in self.spec.by_role("lb")]

    def watch(self, node: str) -> None:
        """Follow the VIP on a load balancer: its current state, then every change."""
        if str(self.spec.vip) in self.backend.node_status(node).addresses:
            self.recorder.add("vip", node=node, action="added", initial=True)
        transport = self.backend.transport(node)

        def ended() -> None:  # the node lost power: its addresses went with it
            if node in self.recorder.live.vip_nodes:
                self.recorder.add("vip", node=node, action="removed", reason="node down")

        # `ip monitor` never reads its stdin: a shell around it ends it once labtool closes
        # the pipe (killing nsenter would not reach it inside the node's PID namespace).
        watch = f"ip -o -4 monitor address dev {self.spec.nic} & read -r _; kill $!"
        self.monitors[node] = LineReader(
            transport.argv(["sh", "-c", watch]), transport.env(),
            lambda line: vip_line(self.recorder, node, line), on_end=ended, stdin_pipe=True)

    def request_stop(self) -> None:
        """Ask the agent to stop sending (it ends by itself shortly); do not wait for it."""
        if self.agent.proc.stdin:
            with contextlib.suppress(OSError):
                self.agent.proc.stdin.close()

    def stop(self) -> None:
        self.agent.stop(timeout_s=REQUEST_TIMEOUT_S + 5)
        self.stats.stop()
        for monitor in self.monitors.values():
            monitor.stop()


@contextlib.contextmanager
def sigint_deferred() -> Iterator[list[bool]]:
    """Restore must finish: a Ctrl-C during it is remembered, then raised after."""
    caught: list[bool] = []
    previous = signal.getsignal(signal.SIGINT)

    def remember(signum: int, frame: object) -> None:
        caught.append(True)

    try:
        signal.signal(signal.SIGINT, remember)
    except ValueError:  # not the main thread: nothing to defer
        yield caught
        return
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def run(spec: LabSpec, backend: Backend, scenario: Scenario,
        view: Callable[[Frame], None] | None = None) -> ScenarioResult:
    """Run one scenario on a lab that is up; the cluster is whole again afterwards."""
    variant = None if spec.vrrp.track_haproxy else "no_track_script"
    if variant:
        scenario = apply_variant(scenario, variant)
    cluster = Cluster(spec, backend)
    started_wall, started = time.time(), time.monotonic()
    theory = cluster.theory()
    values = theory.values()
    within = evaluate(scenario.for_s if scenario.for_s is not None else scenario.within_s,
                      values) or 0.0
    recorder = Recorder(spec, slow_s=SLOW_S)
    # The client's agent starts first, so that it is ready once the preconditions hold.
    duration = 2 * values["vrrp_master_down_s"] + within + 20 + \
        (scenario.before_requests + scenario.settle_requests) / PROBE_RATE
    agent = start_agent(spec, backend, recorder, duration)
    waits_s = 0.0
    phase = ["preconditions"]
    try:
        cluster.make_whole(values["vrrp_master_down_s"] + 10)
        waits_s += _preconditions(cluster, scenario, values)
        probes = Probes(spec, backend, recorder, agent)
    except BaseException:
        agent.stop()
        raise
    baseline_t = time.monotonic()
    fault_t = end_t = time.monotonic()
    condition_s: float | None = None
    notes: list[str] = []

    def tick() -> None:
        if view is not None:
            now = time.monotonic()
            view(Frame(scenario.name, phase[0], now - fault_t if phase[0] != "baseline" else
                       None, sorted(recorder.live.vip_nodes), sorted(recorder.arp_nodes(now)),
                       {lb: dict(s) for lb, s in recorder.live.servers.items()},
                       recorder.last_requests(40)))

    try:
        phase[0] = "baseline"
        wait_for(lambda: recorder.answered(baseline_t, ok_only=True) >= scenario.before_requests,
                 10,
                 f"{scenario.before_requests} answers through the VIP from the client node",
                 tick)
        phase[0] = "fault"
        fault_t = time.monotonic()
        recorder.add("fault", t=fault_t, actions=[a.__dict__ for a in scenario.fault])
        for action in scenario.fault:
            cluster.apply(action)
            if action.kind == "power_on":
                for node in action.nodes:
                    if node in probes.lb_names():
                        probes.watch(node)
        recorder.add("fault-applied")
        phase[0] = "observing"
        if scenario.for_s is not None:
            window_end = fault_t + within
            wait_for(lambda: time.monotonic() >= window_end, within + 1, "the window", tick)
            condition_s, met = within, True
        else:
            try:
                condition_s = time.monotonic() - fault_t + wait_for(
                    lambda: _holds(scenario.until, recorder, cluster, probes, fault_t), within,
                    f"{scenario.until}", tick)
                met = True
            except LabtoolError as exc:
                met = False
                notes.append(str(exc))
        waits_s += (condition_s or within)
        phase[0] = "settling"
        settled_from = time.monotonic()
        with contextlib.suppress(LabtoolError):  # requests still stalled: the window ends anyway
            wait_for(lambda: recorder.answered(settled_from) >= scenario.settle_requests,
                     scenario.settle_requests / PROBE_RATE + 2, "the settle", tick)
        end_t = time.monotonic()
    finally:
        phase[0] = "restoring"
        with sigint_deferred():
            probes.request_stop()  # the agent winds down while the restore runs
            try:
                waits_s += _restore(cluster, scenario, values, recorder)
            finally:
                probes.stop()
    events = recorder.snapshot()
    facts = compute(events, fault_t, end_t, spec, start_t=baseline_t)
    checks = judge(scenario, facts, values)
    verdict = "pass" if met and all(c.ok for c in checks) else "fail"
    result = ScenarioResult(
        scenario=scenario.name, title=scenario.title, summary=scenario.summary,
        row=scenario.row, lab=spec.name, variant=variant, verdict=verdict, condition_met=met,
        condition_s=round(condition_s, 4) if condition_s is not None else None, facts=facts,
        theory=values, checks=checks, events=[e.as_dict(fault_t) for e in events],
        fault=[a.__dict__ for a in scenario.fault], started_at=started_wall,
        duration_s=time.monotonic() - started, waits_s=waits_s, notes=notes)
    save(result)
    return result


def _preconditions(cluster: Cluster, scenario: Scenario, theory: dict[str, float]) -> float:
    """Put the cluster in the scenario's starting state; returns the protocol waits."""
    waited = 0.0
    deadline = theory["vrrp_master_down_s"] + 5
    wanted = scenario.preconditions.get("vip_holder")
    if wanted and cluster.vip_nodes() != [wanted]:
        others = [n for n in cluster.vip_nodes() if n != wanted]
        for node in others:
            cluster.systemctl(node, "stop", "keepalived")
        waited += wait_for(lambda: cluster.vip_nodes() == [wanted], deadline,
                           f"the VIP on {wanted} before the fault")
        for node in others:
            cluster.systemctl(node, "start", "keepalived")
    down = scenario.preconditions.get("node_down")
    if down:
        cluster.backend.power_off(down)
        waited += wait_for(lambda: len(cluster.vip_nodes()) == 1, deadline,
                           f"the VIP on one node with {down} down")
    return waited


def _restore(cluster: Cluster, scenario: Scenario, theory: dict[str, float],
             recorder: Recorder) -> float:
    """The restore step; returns the time spent waiting on the protocols."""
    recorder.add("restore", actions=[a.__dict__ for a in scenario.restore])
    for action in scenario.restore:
        cluster.apply(action)
    within = evaluate(scenario.restore_within_s, theory) or 15.0
    waited = 0.0
    if scenario.restore_until:
        with contextlib.suppress(LabtoolError):
            waited = wait_for(lambda: _holds(scenario.restore_until, recorder, cluster, None,
                                             0.0), within, "the restore")
    cluster.make_whole(theory["vrrp_master_down_s"] + 10)
    return waited


def _holds(condition: dict[str, Any], recorder: Recorder, cluster: Cluster,
           probes: Probes | None, since: float) -> bool:
    """Every part of a scenario's condition holds now."""
    now = time.monotonic()
    # The newest requests by the time they were sent (answers arrive out of order: a request
    # stalled on a dead server may come back long after newer ones).
    after = sorted((e for e in recorder.last_requests(60) if e["sent"] >= since),
                   key=lambda e: e["sent"])
    for key, value in condition.items():
        if key in ("vip_holder", "vip_holders"):
            wanted = sorted([value] if isinstance(value, str) else value)
            if sorted(recorder.live.vip_nodes if probes else cluster.vip_nodes()) != wanted:
                return False
        elif key == "http_ok":
            if len(after) < 3 or all(e["ok"] for e in after[-3:]) != value:
                return False
        elif key == "http_status":
            if len(after) < 3 or any(e["status"] != value for e in after[-3:]):
                return False
        elif key in ("server_down", "servers_up"):
            if not _servers_hold(key, value, recorder, cluster):
                return False
        elif key == "duplicate_vip":
            both = len(recorder.arp_nodes(now)) > 1 or len(recorder.live.vip_nodes) > 1
            if both != value:
                return False
        elif key == "node_ready":
            if not cluster.node_ready(value):
                return False
        elif key == "all_ready" and not cluster.all_ready():
            return False
    return True


def _servers_hold(key: str, value: Any, recorder: Recorder, cluster: Cluster) -> bool:
    """HAProxy's view of its servers, asked now on every load balancer that is up."""
    sockets = stats_sockets(cluster.spec, cluster.backend)
    lbs = [name for name in sockets if cluster.backend.node_status(name).up]
    servers = read_servers(cluster.spec, {lb: sockets[lb] for lb in lbs})
    if not lbs or any(not servers.get(lb) for lb in lbs):
        return False
    if key == "server_down":
        return all(servers[lb].get(value, "").startswith("DOWN") for lb in lbs)
    webs = [n.name for n in cluster.spec.by_role("web")]
    return all(servers[lb].get(w) == "UP" for lb in lbs for w in webs)


def stats_sockets(spec: LabSpec, backend: Backend) -> dict[str, Path]:
    """Each load balancer's HAProxy stats socket, reachable from here (netns: its folder)."""
    local = getattr(backend, "local_path", None)
    if local is None:
        return {}
    return {n.name: local(n.name, STATS_SOCKET) for n in spec.by_role("lb")}


def results_dir(lab: str) -> Path:
    return lab_dir(lab) / "results"


def save(result: ScenarioResult) -> None:
    folder = results_dir(result.lab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{result.scenario}.json").write_text(
        json.dumps(result.as_json(), indent=1, ensure_ascii=False) + "\n")
