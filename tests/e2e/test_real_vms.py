"""End to end on real VMs: labtool's Vagrant backend with the libvirt provider, as
../shared/vagrant-libvirt.md records it for this machine kind (software emulation, a Debian 12
box built locally, libvirt and vagrant inside an isolated network namespace).

Slow (many minutes): marked `e2e`, left out of the default run, run as its own step in .ci/run.
Everything it makes is removed at the end: domains, volumes, networks, the namespace.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
CACHE = Path(os.environ.get("LABTOOL_E2E_CACHE", "/var/cache/labtool-e2e"))
NETNS = f"lt-e2e-{os.getpid()}"
LAB = "e2e"
BOX = "labtool-debian12"
OUT = Path(os.environ.get("LABTOOL_E2E_OUT", "/tmp/labtool-e2e")) / time.strftime("%Y%m%d-%H%M%S")
LOCK = Path(os.environ.get("LABTOOL_E2E_LOCK", "/run/lock/labtool-e2e.lock"))
LOCK_WAIT_S = float(os.environ.get("LABTOOL_E2E_LOCK_WAIT_S", "1200"))


def sh(
    *argv: str, timeout_s: float = 600, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout_s, env=env)
    if check and done.returncode != 0:
        raise AssertionError(
            f"{' '.join(argv)} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def in_netns(*argv: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return sh("ip", "netns", "exec", NETNS, *argv, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def alone() -> Iterator[None]:
    """This machine's one E2E run: libvirt's sockets and folders are the machine's, so a second
    run at the same time would share (and tear down) the first one's VMs. A second run waits
    for the first (at most LOCK_WAIT_S), saying so, then fails with a clear message."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("a+") as lock:
        deadline, said = time.monotonic() + LOCK_WAIT_S, False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                lock.seek(0)
                holder = lock.read().strip() or "another run"
                assert time.monotonic() < deadline, (
                    f"another E2E run ({holder}) held {LOCK} for {LOCK_WAIT_S:.0f} s"
                )
                if not said:
                    print(f"waiting for another E2E run ({holder}) to end", flush=True)
                    said = True
                time.sleep(2)
        lock.truncate(0)
        lock.write(f"pid {os.getpid()}, since {time.strftime('%H:%M:%S')}\n")
        lock.flush()
        yield


def libvirt_answers() -> bool:
    return sh("virsh", "-c", "qemu:///system", "version", check=False, timeout_s=30).returncode == 0


@pytest.fixture(scope="module")
def isolated(alone: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A namespace with loopback only, libvirt's daemons inside it, a VAGRANT_HOME of ours,
    labtool's lab state in a folder of ours (not the machine's /run/labtool)."""
    assert not libvirt_answers(), (
        "a libvirtd is already running on this machine: the E2E starts its own, inside its "
        "namespace, and would share that one's VMs. Stop it first (pkill libvirtd)"
    )
    started = time.monotonic()
    box = sh("bash", str(HERE / "build_box.sh"), str(CACHE), timeout_s=1800).stdout.split()[-1]
    print(f"box: {box} ({time.monotonic() - started:.1f} s, 0 when cached)")
    home = tmp_path_factory.mktemp("vagrant-home")
    state = tmp_path_factory.mktemp("labtool-state")
    env = {
        **os.environ,
        "VAGRANT_HOME": str(home),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
        "VAGRANT_DEFAULT_PROVIDER": "libvirt",
        "LABTOOL_STATE_DIR": str(state),
    }
    sh("ip", "netns", "add", NETNS)
    daemons: list[subprocess.Popen[bytes]] = []
    pools_before: set[str] = set()
    leftovers: list[str] = []
    try:
        in_netns("ip", "link", "set", "lo", "up")
        assert in_netns("ip", "route").stdout.strip() == ""  # no way out of this namespace
        for daemon in ("virtlogd", "libvirtd"):
            proc = subprocess.Popen(
                ["ip", "netns", "exec", NETNS, daemon],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            daemons.append(proc)
        deadline = time.monotonic() + 30
        while not libvirt_answers():
            assert time.monotonic() < deadline, "libvirtd did not start"
            time.sleep(0.5)
        assert all(proc.poll() is None for proc in daemons), (
            "libvirt's daemons of this test ended: another libvirtd answers in their place"
        )
        pools_before = set(
            sh(
                "virsh", "-c", "qemu:///system", "pool-list", "--all", "--name", check=False
            ).stdout.split()
        )
        sh("vagrant", "box", "add", "--force", "--name", BOX, box, env=env, timeout_s=600)
        yield env
    finally:
        leftovers = teardown(daemons, pools_before)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
    assert not leftovers, f"left behind: {leftovers}"


def teardown(daemons: list[subprocess.Popen[bytes]], pools_before: set[str]) -> list[str]:
    """Delete what this test made in libvirt, stop its daemons, delete the namespace; returns
    what `labtool down` had left (domains, networks) and what could not be removed (volumes,
    files, the namespace). What labtool left is removed too, so that no VM outlives the test."""
    virsh = ("virsh", "-c", "qemu:///system")
    left: list[str] = []
    if daemons:
        domains = sh(*virsh, "list", "--all", "--name", check=False).stdout.split()
        networks = [
            n
            for n in sh(*virsh, "net-list", "--all", "--name", check=False).stdout.split()
            if n != "default"
        ]
        left += [f"domain {d}" for d in domains] + [f"network {n}" for n in networks]
        for domain in domains:
            sh(*virsh, "destroy", domain, check=False)
            sh(*virsh, "undefine", domain, "--remove-all-storage", check=False)
        for network in networks:
            sh(*virsh, "net-destroy", network, check=False)
            sh(*virsh, "net-undefine", network, check=False)
        pools = sh(*virsh, "pool-list", "--all", "--name", check=False).stdout.split()
        paths: list[Path] = []
        for pool in pools:
            xml = sh(*virsh, "pool-dumpxml", pool, check=False).stdout
            if "<path>" in xml:
                paths.append(Path(xml.split("<path>")[1].split("</path>")[0]))
            listed = sh(*virsh, "vol-list", pool, check=False).stdout.splitlines()[2:]
            for volume in [line.split()[0] for line in listed if line.strip()]:
                # (Debian 12's virsh has no vol-list --name: the table's first column)
                if volume.startswith((BOX, f"labtool-{LAB}-")):  # `box remove` leaves these
                    sh(*virsh, "vol-delete", volume, "--pool", pool, check=False)
        for pool in set(pools) - pools_before:
            sh(*virsh, "pool-destroy", pool, check=False)
            sh(*virsh, "pool-undefine", pool, check=False)
        for folder in paths:
            left += [f"file {f}" for f in folder.glob(f"{BOX}*")]
            left += [f"file {f}" for f in folder.glob(f"labtool-{LAB}-*")]
    for proc in daemons:
        proc.terminate()
    for proc in daemons:  # wait for them, so that nothing holds the namespace
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
    sh("ip", "netns", "del", NETNS, check=False)
    if NETNS in sh("ip", "netns", "list", check=False).stdout:
        left.append(f"namespace {NETNS}")
    return left


def labtool(
    env: dict[str, str], *args: str, timeout_s: float = 3600
) -> subprocess.CompletedProcess[str]:
    return in_netns(
        sys.executable, "-m", "labtool", *args, env=env, timeout_s=timeout_s, check=False
    )


def on_balancers(env: dict[str, str], script: str) -> dict[str, subprocess.CompletedProcess[str]]:
    """A shell script run on each load balancer, its outcome by node."""
    return {
        node: labtool(env, "exec", node, "--name", LAB, "--", "sh", "-c", script, timeout_s=120)
        for node in ("haproxy1", "haproxy2")
    }


def explain(env: dict[str, str], what: str, stdout: str = "", stderr: str = "") -> None:
    """Everything needed to act on a failure without running the test again: the command's
    output (a scenario's full JSON result), the tail of each probe's log, `vagrant status`,
    and the load of the host and of every VM. Printed before `labtool down` removes them."""
    print(f"\n===== E2E failure: {what} =====")
    try:  # a scenario's result: all of it, but only the last of its (thousands of) events
        result = json.loads(stdout)
        events = result.pop("events", [])
        print(json.dumps(result, indent=1))
        print(f"----- its last 40 events of {len(events)} -----")
        print("\n".join(json.dumps(e) for e in events[-40:]))
    except ValueError:
        print(stdout[-20000:])
    print(f"----- stderr -----\n{stderr[-8000:]}")
    lab_dir = Path(env.get("LABTOOL_STATE_DIR", "/run/labtool")) / LAB
    for log in sorted((lab_dir / "probes").glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        print(f"----- {log.name} (last 25 of {len(lines)} lines) -----")
        print("\n".join(lines[-25:]))
    vagrant = in_netns(
        "vagrant",
        "status",
        env={**env, "VAGRANT_CWD": str(lab_dir / "vagrant")},
        check=False,
        timeout_s=300,
    )
    print(f"----- vagrant status -----\n{vagrant.stdout}{vagrant.stderr}")
    print(f"----- load: host {Path('/proc/loadavg').read_text().strip()}")
    for node in ("haproxy1", "haproxy2", "web1", "web2", "client"):
        load = labtool(
            env, "exec", node, "--name", LAB, "--", "cat", "/proc/loadavg", timeout_s=120
        )
        print(f"  {node}: {(load.stdout or load.stderr).strip()[-300:]}")
    journals = on_balancers(  # VRRP's own account (a flap under load...)
        env,
        "journalctl -u keepalived -n 40 --no-pager 2>/dev/null || "
        "tail -n 40 /var/log/keepalived.log",
    )
    for node, journal in journals.items():
        print(f"----- keepalived on {node} -----\n{(journal.stdout or journal.stderr)[-6000:]}")
    print(f"===== end of {what} =====", flush=True)


def check_scenario(name: str, result: dict[str, Any]) -> None:
    """What this run must show on real VMs, beyond the scenario's own verdict."""
    assert result["verdict"] == "pass", result["checks"]
    metrics, theory = result["metrics"], result["theory"]
    if name == "lose-haproxy1":
        assert metrics["vip_holder_after"] == "haproxy2"
        # The client's outage is judged by the scenario's own bound (its verdict, above), which
        # adds the Vagrant backend's declared margin for what a client sees (timing_margin_s):
        # a second bound here without it (theory + 1 s) failed a run whose takeover was 3.33 s
        # and whose outage, 4.75 s, was within the scenario's 5.01 s.
        for fact in ("vip_takeover_s", "advert_takeover_s"):  # each source saw it on the VMs
            assert metrics[fact] is not None, (fact, metrics["unseen"])
            assert metrics[fact] <= theory["vrrp_master_down_s"] + 1, fact
    if name == "lose-web1":
        assert metrics["served_after_detect"].get("web1", 0) == 0
        assert metrics["served_after_detect"].get("web2", 0) > 0  # web2 alone, and seen to


# Run inside the lab's namespace (the watch listens on its 127.0.0.1): reads the watch's event
# stream for a while and says what it saw.
WATCH_READER = """
import json, sys, time, urllib.request
base, token = sys.argv[1].split("/?token=")
seen = {"kinds": {}, "holder": None, "up": [], "changes": []}
end = time.monotonic() + float(sys.argv[2])
with urllib.request.urlopen(f"{base}/events?token={token}", timeout=60) as stream:
    for line in stream:
        if time.monotonic() > end:
            break
        if line.startswith(b"data: "):
            event = json.loads(line[6:])
            seen["kinds"][event["kind"]] = seen["kinds"].get(event["kind"], 0) + 1
            if event["kind"] == "state":
                seen["holder"] = event["state"]["vip_holder"]
                seen["up"] = [n["name"] for n in event["state"]["nodes"] if n["up"]]
            elif event["kind"] == "vip":
                seen["holder"] = event["holders"][0] if len(event["holders"]) == 1 else None
                seen["changes"].append([event["t"], "vip", event["node"], event["held"]])
            elif event["kind"] == "node":  # (what changed in a node: for the log)
                node = event["node"]
                seen["changes"].append([event["t"], "node", node["name"], node["state"],
                                        node["daemons"]])
print(json.dumps(seen))
"""


STATE_READER = """
import sys, urllib.request
print(urllib.request.urlopen(f"{sys.argv[1]}/state?token={sys.argv[2]}", timeout=30).read()
      .decode())
"""


def check_watch(env: dict[str, str]) -> None:
    """`labtool watch` on the VMs: its stream from the agents' events (the client's requests,
    HAProxy's view from each load balancer's own agent), the VIP's holder as status says,
    then Ctrl-C leaving no probe."""
    watch = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            NETNS,
            sys.executable,
            "-m",
            "labtool",
            "watch",
            "--name",
            LAB,
            "--no-browser",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert watch.stdout is not None
    try:
        said = [watch.stdout.readline()]
        while said[-1] and "watching lab" not in said[-1] and len(said) < 20:
            said.append(watch.stdout.readline())
        assert "watching lab" in said[-1], said
        url = said[-1].split(" at ")[1].split()[0]
        read = in_netns(sys.executable, "-c", WATCH_READER, url, "40", timeout_s=120)
        seen = json.loads(read.stdout)
        print(f"labtool watch on the VMs: {seen}", flush=True)
        # The VIP's holder as the watch has it (/state) against `labtool status`, looked at
        # together until they agree: under emulation keepalived's track script times out at
        # times and the VIP leaves its holder for a second or two (both would see it go). On
        # a loaded machine (2026-12-04: two runs in a row) the backup's track script timed out
        # every 10 s for minutes after haproxy1's reboot: looks go on for up to 3 minutes.
        base, token = url.split("/?token=")
        agreed, looks = False, []
        deadline = time.monotonic() + 180
        while not agreed and time.monotonic() < deadline:
            state = json.loads(
                in_netns(sys.executable, "-c", STATE_READER, base, token, timeout_s=60).stdout
            )
            status = json.loads(labtool(env, "status", "--json", "--name", LAB).stdout)
            looks.append((state["vip_holder"], status["vip_holder"]))
            agreed = looks[-1][0] == looks[-1][1] is not None
        print(f"VIP holder (watch, status): {looks}", flush=True)
        assert agreed, looks
        assert sorted(seen["up"]) == ["client", "haproxy1", "haproxy2", "web1", "web2"], seen
        assert seen["kinds"].get("http", 0) >= 10, seen  # the client's requests, streamed
        assert seen["kinds"].get("haproxy", 0) >= 2, seen  # each LB's HAProxy, by its agent
    finally:
        if watch.poll() is None:
            os.killpg(watch.pid, 2)
        out, _ = watch.communicate(timeout=120)
    assert watch.returncode == 0 and "no probe left running" in out, out[-3000:]


def report_scenario(
    scenario: str, run: subprocess.CompletedProcess[str], attempt: int
) -> dict[str, Any]:
    """The scenario's whole result kept for later, its figures printed; the result."""
    assert run.stdout, run.stderr[-5000:]
    kept = OUT / f"{scenario}{'' if attempt == 1 else f'-{attempt}'}.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(run.stdout)  # the whole result, events and all, for later
    print(f"{scenario}: result kept in {kept}")
    result: dict[str, Any] = json.loads(run.stdout)
    print(
        scenario,
        result["verdict"],
        json.dumps({k: result["metrics"].get(k) for k in FIGURES}),
        "theory",
        json.dumps(
            {
                k: result["theory"].get(k)
                for k in (
                    "vrrp_master_down_min_s",
                    "vrrp_master_down_s",
                    "haproxy_detect_min_s",
                    "haproxy_detect_max_s",
                )
            }
        ),
        "pace",
        json.dumps(result["pace"]),
        "phases",
        json.dumps(result["phases_s"]),
        "clocks",
        json.dumps(
            {
                name: (probe["clock_offset_s"], probe["clock_drift_ppm"])
                for name, probe in result["probes"].items()
            }
        ),
        flush=True,
    )
    return result


def failed_checks(result: dict[str, Any]) -> list[str]:
    return [
        f"{c['fact']} {c['observed']} (expected {c['expected']})"
        for c in result["checks"]
        if not c["ok"]
    ]


def timing_only_failure(result: dict[str, Any]) -> bool:
    """A run whose every failing check is a duration (`..._s`), the fault done and its
    condition met: five VMs under software emulation on two cores are sometimes slower than
    the bounds (a client whose answers queue up after the takeover: an outage 1.7 s longer
    than the takeover was seen once in four runs). Tried once more; a functional failure
    (wrong VIP holder, a web node still served) never is."""
    failing = [c["fact"] for c in result["checks"] if not c["ok"]]
    return (
        result["verdict"] == "fail"
        and result.get("condition_met") is True
        and bool(failing)
        and all(f.split(".")[0].endswith("_s") for f in failing)
    )


def track_script_timeouts(env: dict[str, str]) -> int:
    """How many times keepalived has logged a track script timing out, on both load balancers:
    compared before and after a scenario, it tells an emulation artefact from a fault."""
    counts = on_balancers(
        env, "journalctl -u keepalived --no-pager 2>/dev/null | grep -c timed_out"
    ).values()
    return sum(int(c.stdout.strip()) for c in counts if c.stdout.strip().isdigit())


def emulation_only_failure(result: dict[str, Any], timeouts_during: int) -> bool:
    """A run whose failing checks are durations, or the VIP's holder after while keepalived's
    own log shows a track script timing out during the run: `killall -0 haproxy` (the lab's
    script, interval 1 s, so a 1 s timeout) took over a second on these five emulated VMs, and
    keepalived moved the VIP as it must when its script fails (2026-12-04: lose-web1 saw the
    VIP go to haproxy2 after haproxy1's script timed out). Not a fault of labtool's or the
    lab's; tried once more, and the second run must pass."""
    failing = [c["fact"] for c in result["checks"] if not c["ok"]]
    return timing_only_failure(result) or (
        result["verdict"] == "fail"
        and timeouts_during > 0
        and "vip_holder_after" in failing
        and all(f == "vip_holder_after" or f.split(".")[0].endswith("_s") for f in failing)
    )


FIGURES = (
    "outage_s",
    "takeover_s",
    "vip_takeover_s",
    "advert_takeover_s",
    "arp_takeover_s",
    "fault_applied_s",
    "haproxy_detect_s",
    "served_after_detect",
    "vip_holder_after",
    "unseen",
)


def test_the_lab_on_four_real_vms(isolated: dict[str, str]) -> None:
    env = isolated
    timings: dict[str, float] = {}
    try:
        started = time.monotonic()
        up = labtool(
            env, "up", "--backend", "vagrant", "--provider", "libvirt", "--box", BOX, "--name", LAB
        )
        timings["up and provision"] = time.monotonic() - started
        if up.returncode != 0:
            explain(env, "labtool up", up.stdout, up.stderr)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-5000:]
        # The VIP on haproxy1, as the lab's start order gives it. Under software emulation a
        # track script can time out while the VMs are busy and move it for a while: looked at
        # for up to a minute, and how long it took is printed.
        started = time.monotonic()
        holders = []
        while time.monotonic() - started < 60:
            looked = labtool(env, "status", "--json", "--name", LAB)
            assert looked.returncode == 0, looked.stderr[-3000:]
            holders.append(json.loads(looked.stdout)["vip_holder"])
            if holders[-1] == "haproxy1":
                break
        print(f"VIP holder after up: {holders} ({time.monotonic() - started:.1f} s)")
        assert holders[-1] == "haproxy1", holders
        answers = [
            labtool(
                env,
                "exec",
                "client",
                "--name",
                LAB,
                "--",
                "curl",
                "-s",
                "-m",
                "5",
                "http://10.0.0.10/",
            ).stdout
            for _ in range(6)
        ]
        assert {"test web1\n", "test web2\n"} <= set(answers), answers  # both web nodes
        for scenario in ("lose-haproxy1", "lose-web1"):
            for attempt in (1, 2):
                timeouts = track_script_timeouts(env)
                started = time.monotonic()
                run = labtool(env, "scenario", scenario, "--json", "--name", LAB)
                timings[f"{scenario}" + ("" if attempt == 1 else " again")] = (
                    time.monotonic() - started
                )
                result = report_scenario(scenario, run, attempt)
                timeouts = track_script_timeouts(env) - timeouts
                print(f"{scenario}: keepalived track script timeouts during the run: {timeouts}")
                if attempt == 1 and emulation_only_failure(result, timeouts):
                    print(
                        f"{scenario}: only what these emulated VMs' slowness explains "
                        f"({failed_checks(result)}; track script timeouts: {timeouts}): "
                        "run once more",
                        flush=True,
                    )
                    explain(env, f"labtool scenario {scenario} (attempt 1)", run.stdout, run.stderr)
                    continue
                try:
                    check_scenario(scenario, result)
                except BaseException:
                    explain(env, f"labtool scenario {scenario}", run.stdout, run.stderr)
                    raise
                break
        started = time.monotonic()
        check_watch(env)
        timings["watch"] = time.monotonic() - started
    finally:
        started = time.monotonic()
        down = labtool(env, "down", "--name", LAB)
        timings["down"] = time.monotonic() - started
        print("timings:", json.dumps({k: round(v, 1) for k, v in timings.items()}))
    assert down.returncode == 0, down.stderr[-3000:]
    left = sh("virsh", "-c", "qemu:///system", "list", "--all", "--name").stdout.split()
    assert left == []
