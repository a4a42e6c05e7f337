#!/usr/bin/env python3
"""Benchmark: how many students one machine serves (issue 23). Starts `labtool serve --mode
built` for N students on 127.0.0.1, then, as N browsers would, signs each student in, opens
a terminal on their haproxy1 (a WebSocket: the lab is made on it) and keeps their page live
(its server-sent events) - all from this one process (asyncio). Once every lab is up:

- the machine's CPU (from /proc/stat, over --idle-s seconds) and memory (the server's RSS and
  every lab's cgroup) per student, all pages live and idle;
- every lab's VIP holders (`labtool status --json`: exactly one each);
- `lose-haproxy1` on one lab: its takeover against the theory;
- one lab's state read (`labtool status`, a whole process; and the page's /state) and the
  instructor's page's data (/api/class), medians;
- the instructor's page in chromium: every tile shown, then a step a student does in their
  terminal on their tile; a screenshot (test-artifacts/);
then stops the server (Ctrl-C: every lab stopped, each student's work kept) and checks that
no lab is left. Root. Usage:

    .venv/bin/python benchmarks/bench_serve.py [--students 200] [--idle-s 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import websockets

from tests.integration.browser import Browser
from tests.integration.serve_client import Client
from tests.integration.test_serve import Served, start_serve
from tests.integration.test_watch import ARTIFACTS

SLUG = "bench-{:03d}"
OPEN: set[str] = set()  # the students whose terminal is open now
FAILED: dict[str, str] = {}  # the labs whose making failed once (and why)


def labtool(*args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labtool", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
    )


async def student(served: Served, slug: str, cookie: str, stop: asyncio.Event) -> None:
    """One browser: the terminal open (reading its screen), the page's stream read."""
    host = served.url.split("://")[1]
    url = served.url.replace("http://", "ws://") + f"/api/students/{slug}/term/haproxy1"
    reader, writer = await asyncio.open_connection(*host.split(":"))
    writer.write(
        f"GET /api/students/{slug}/events HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )

    async def drain() -> None:
        while await reader.read(65536):
            pass

    events = asyncio.ensure_future(drain())
    try:
        while not stop.is_set():  # (as the page does: a terminal closed is opened again)
            try:
                async with websockets.connect(
                    url, additional_headers={"Cookie": cookie}, origin=served.url,  # type: ignore[arg-type]
                    open_timeout=900,
                ) as socket:  # fmt: skip
                    OPEN.add(slug)
                    shown = asyncio.ensure_future(_read(socket))
                    await asyncio.wait([shown, asyncio.ensure_future(stop.wait())],
                                       return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                    shown.cancel()
            except (OSError, websockets.exceptions.WebSocketException):
                pass
            OPEN.discard(slug)
            if not stop.is_set():
                await asyncio.sleep(1.5)
    finally:
        events.cancel()
        writer.close()


async def _read(socket: Any) -> None:
    async for _ in socket:
        pass


def cpu_busy() -> tuple[float, float]:
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def lab_memory_mib() -> float:
    total = 0
    for folder in Path("/sys/fs/cgroup/memory").glob("labtool-class-bench-*"):
        with contextlib.suppress(OSError, ValueError):
            total += int((folder / "memory.usage_in_bytes").read_text())
    for folder in Path("/sys/fs/cgroup").glob("labtool-class-bench-*"):
        with contextlib.suppress(OSError, ValueError):
            total += int((folder / "memory.current").read_text())
    return total / 2**20


def cpu_s(pid: int) -> float:
    """A process's CPU time with its children's it waited for (utime, stime, cutime, cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def median_s(work: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        work()
        times.append(time.monotonic() - started)
    return statistics.median(times)


def holders(slugs: list[str]) -> dict[str, list[str]]:
    def one(slug: str) -> tuple[str, list[str]]:
        done = labtool("status", "--json", "--name", f"class-{slug}")
        found: list[str] = json.loads(done.stdout)["vip_holders"] if done.stdout else ["?"]
        return slug, found

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(one, slugs))


def instructor_page(served: Served, slug: str, n: int) -> tuple[float, float]:
    """The instructor's page in chromium: seconds until every tile shows its lab up, then
    seconds from a step done in `slug`'s terminal (the lab's keepalived.conf saved, as the lab
    says) until their tile shows it."""
    tile = f"document.querySelector('[data-student=\"{slug}\"]')"
    browser = Browser(1280, 800)
    try:
        started = time.monotonic()
        browser.goto(served.instructor_url)
        up = f"document.querySelectorAll('[data-student][data-phase=\"up\"]').length === {n}"
        browser.wait_for(up, 120)
        shown_s = time.monotonic() - started
        browser.screenshot(ARTIFACTS / f"serve-instructor-{n}-students-1280x800.png")
        before = browser.js(f"{tile}.dataset.stepsDone")
        term = Client.student(served.url, served.codes[slug]).terminal(slug, "haproxy1")
        try:
            started = time.monotonic()
            term.run("cp /etc/keepalived/keepalived.conf /etc/keepalived/keepalived.conf.old",
                     until="]# ")  # fmt: skip
            browser.wait_for(f"{tile}.dataset.stepsDone !== '{before}'", 120)
            changed_s = time.monotonic() - started
        finally:
            term.close()
        return shown_s, changed_s
    finally:
        browser.close()


async def run(options: argparse.Namespace, served: Served) -> None:
    slugs = [SLUG.format(i) for i in range(options.students)]
    cookies = {s: Client.student(served.url, served.codes[s]).cookie for s in slugs}
    teacher = Client.instructor(served.instructor_url)
    stop = asyncio.Event()
    started = time.monotonic()
    browsers = [asyncio.ensure_future(student(served, s, cookies[s], stop)) for s in slugs]
    while True:
        await asyncio.sleep(2)
        tiles = (await asyncio.to_thread(teacher.json, "GET", "/api/class"))[1]["students"]
        up = sum(1 for t in tiles if t["phase"] == "up")
        for tile in tiles:  # (a lab that failed is made again at the page's next try)
            if tile["phase"] == "failed" and tile["student"] not in FAILED:
                path = f"/api/students/{tile['student']}/state"
                state = (await asyncio.to_thread(teacher.json, "GET", path))[1]
                FAILED[tile["student"]] = state["error"]
                print(f"  {tile['student']} failed (retried): {state['error']}", flush=True)
        print(f"  {up}/{len(slugs)} labs up ({time.monotonic() - started:.0f} s)", flush=True)
        if up == len(slugs):
            break
        if time.monotonic() - started > options.make_s:
            sys.exit(f"not every lab up within {options.make_s:.0f} s")
    n = len(slugs)
    made_s = time.monotonic() - started
    print(f"students: {n}, labs made in {made_s:.0f} s ({made_s / n:.2f} s each)")
    print(f"labs whose first making failed (made at a retry): {len(FAILED)}", flush=True)
    try:
        await asyncio.sleep(options.settle_s)  # (every lab's first checks done)
        await idle(served, n, options.idle_s)
        await asyncio.to_thread(measure, served, teacher, slugs)
        try:
            shown_s, changed_s = await asyncio.to_thread(instructor_page, served, slugs[-1], n)
            print(f"the instructor's page in chromium: {n} tiles up in {shown_s:.1f} s; a"
                  f" student's command on their tile in {changed_s:.1f} s")  # fmt: skip
        except AssertionError as exc:
            print(f"the instructor's page in chromium: {exc}")
    finally:
        stop.set()
        await asyncio.gather(*browsers, return_exceptions=True)


async def idle(served: Served, n: int, idle_s: float) -> None:
    """The machine's CPU and memory, every page live and idle."""
    busy0, total0 = cpu_busy()
    server0, own0, at0 = cpu_s(served.proc.pid), own_cpu_s(), time.monotonic()
    await asyncio.sleep(idle_s)
    busy1, total1 = cpu_busy()
    server1, own1, at1 = cpu_s(served.proc.pid), own_cpu_s(), time.monotonic()
    cores = (busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1)
    server_cores, own_cores = (server1 - server0) / (at1 - at0), (own1 - own0) / (at1 - at0)
    print(f"terminals open while measured: {len(OPEN)}/{n}; pages live: {n}")
    print(f"CPU, all pages live and idle: {cores:.2f} cores ({cores / n * 1000:.1f} mcores each)")
    print(f"  of which the server (its checks included): {server_cores:.2f} cores,"
          f" the browsers (this process): {own_cores:.2f} cores,"
          f" the labs and the rest: {cores - server_cores - own_cores:.2f} cores")  # fmt: skip
    server_mib, labs_mib = rss_mib(served.proc.pid), lab_memory_mib()
    per_student = (server_mib + labs_mib) / n
    print(f"memory: server {server_mib:.0f} MiB, labs {labs_mib:.0f} MiB ({per_student:.1f} each)",
          flush=True)  # fmt: skip


def measure(served: Served, teacher: Client, slugs: list[str]) -> None:
    """Every lab's VIP holders, a failover, one lab's state read, the instructor's data."""
    found = holders(slugs)
    wrong = {s: h for s, h in found.items() if len(h) != 1}
    print(f"labs with exactly one VIP holder: {len(slugs) - len(wrong)}/{len(slugs)} {wrong or ''}")
    scenario = labtool("scenario", "lose-haproxy1", "--name", f"class-{slugs[0]}", "--json")
    result = json.loads(scenario.stdout)
    takeover = result["metrics"]["vip_takeover_s"]
    limit = result["theory"]["vrrp_master_down_s"]
    print(f"lose-haproxy1: {result['verdict']}, takeover {takeover:.2f} s (theory {limit:.2f} s)")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    status_s = median_s(lambda: labtool("status", "--name", f"class-{slugs[-1]}"), 5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    status_cpu_s = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) / 5
    print(f"one lab's status (labtool status): {status_s:.3f} s, {status_cpu_s:.3f} s of CPU")
    start_s = median_s(lambda: labtool("--version"), 5)  # (a process of labtool, no lab read)
    print(f"  the same process reading nothing (labtool --version): {start_s:.3f} s")
    state_s = median_s(lambda: teacher.json("GET", f"/api/students/{slugs[-1]}/state"), 20)
    print(f"one lab's state as its page reads it (/state): {state_s * 1e3:.1f} ms")
    class_s = median_s(lambda: teacher.json("GET", "/api/class"), 20)
    print(f"the instructor's page's data (/api/class): {class_s * 1000:.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--settle-s", type=float, default=15.0)
    parser.add_argument("--make-s", type=float, default=1800.0)
    options = parser.parse_args()
    roster = "id,name,email\n" + "".join(
        f"{SLUG.format(i)},Student {i},s{i}@example.org\n" for i in range(options.students)
    )
    with tempfile.TemporaryDirectory(prefix="labtool-bench-serve-") as tmp:
        served = start_serve(Path(tmp) / "class", roster, "--mode", "built")
        try:
            asyncio.run(run(options, served))
        finally:
            started = time.monotonic()
            if served.proc.poll() is None:
                os.killpg(served.proc.pid, signal.SIGINT)
            served.proc.communicate(timeout=1800)
            print(f"serve stopped (every lab, work kept) in {time.monotonic() - started:.0f} s")
            left = [
                f"class-{SLUG.format(i)}"
                for i in range(options.students)
                if labtool("down", "--name", f"class-{SLUG.format(i)}").stdout.count("removed")
            ]
            print(f"labs left behind (removed now): {left or 'none'}")


if __name__ == "__main__":
    main()
