"""The daemons' own config checks, folded into lint's and grade's findings: `haproxy -c` and
`keepalived -t`, each in a throwaway network namespace (nothing it does reaches a network;
keepalived's has the NIC the config names). Only the daemons' parsers run: nothing from a
submission is executed (a check does not run scripts or external checks), and a config that
loads Lua is not given to `haproxy -c`, which would run it."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tempfile
from pathlib import Path

from labtool import runner
from labtool.configs.common import Finding, is_binary
from labtool.configs.keepalived_model import KeepalivedConfig
from labtool.grading.submission.configset import ConfigSet
from labtool.i18n import Msg

# HAProxy 1.5 (the lab's platform) takes an address on the frontend/listen line; 2.x wants a
# `bind` line. For a centos7 target the file is given to this machine's HAProxy so adapted,
# as `labtool up` adapts the lab's own, so that the check finds what 1.5 would refuse too.
FRONTEND_ADDRESS = re.compile(r"^(\s*)(frontend|listen)(\s+)(\S+)\s+([^\s#]*:\d[^\s#]*)(.*)$")

CHECK_TIMEOUT_S = 20.0
IFNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")
HAPROXY_LINE = re.compile(
    r"^\[(ALERT|WARNING|NOTICE)\]\s*(?:\(\d+\))?\s*:\s*(?:\w+\s*:\s*)?"
    r"(?:parsing \[(?P<file>[^\]]+):(?P<line>\d+)\]\s*:\s*)?(?P<msg>.*)$",
    re.I,
)
KEEPALIVED_LINE = re.compile(r"^\((?P<file>[^:]+): Line (?P<line>\d+)\)\s*(?P<msg>.*)$")
SEVERITY = {"ALERT": "error", "WARNING": "warning", "NOTICE": "info"}
NOISE = (
    "haproxy version is",
    "path to executable is",
    "Fatal errors found",
    "Error(s) found in configuration file",
)


def _unshare() -> list[str]:
    if os.geteuid() == 0:
        return ["unshare", "--net"]
    return ["unshare", "--user", "--map-root-user", "--net"]


def _no_namespace(label: str, tool: str, stderr: str) -> list[Finding]:
    """A check that could not even start its namespace says so, as a note."""
    if stderr.startswith("unshare:"):
        return [
            Finding(
                tool,
                "info",
                Msg(
                    "{tool} not run: no throwaway network namespace here ({why})",
                    tool="haproxy -c" if tool == "HA-DAEMON" else "keepalived -t",
                    why=stderr.strip()[:120],
                ),
                label,
            )
        ]
    return []


def daemon_checks(configs: ConfigSet, nic: str) -> list[Finding]:
    found: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="labtool-lint-") as folder:
        for node, haproxy in configs.haproxy.items():
            if not is_binary(data := configs.text_of(node, "haproxy")):  # (said: not text)
                found += haproxy_check(haproxy.file, data, Path(folder))
        for node, keepalived in configs.keepalived.items():
            if not is_binary(data := configs.text_of(node, "keepalived")):
                found += keepalived_check(keepalived.file, keepalived, data, nic, Path(folder))
    return found


def _not_installed(label: str, tool: str, binary: str, package: str) -> list[Finding]:
    """A check that cannot run says so, and why, as a note (its points are not taken)."""
    check = "haproxy -c" if tool == "HA-DAEMON" else "keepalived -t"
    return [
        Finding(
            tool,
            "info",
            Msg("{check} not run: {binary} is not installed here", check=check, binary=binary),
            label,
            fix=Msg("apt-get install -y {package}, then lint again", package=package),
        )
    ]


def haproxy_check(label: str, data: bytes, folder: Path) -> list[Finding]:
    if runner.which("haproxy") is None:
        return _not_installed(label, "HA-DAEMON", "haproxy", "haproxy")
    if re.search(rb"^\s*lua-(load|prepend-path|load-per-thread)\b", data, re.M):
        return [
            Finding(
                "HA-DAEMON",
                "info",
                Msg("haproxy -c not run: the config loads Lua, which the check would execute"),
                label,
            )
        ]
    path = folder / "haproxy.cfg"
    path.write_bytes(data)
    done = runner.run([*_unshare(), "haproxy", "-c", "-f", str(path)], timeout_s=CHECK_TIMEOUT_S)
    if skipped := _no_namespace(label, "HA-DAEMON", done.stderr):
        return skipped
    found: list[Finding] = []
    for line in (done.stdout + "\n" + done.stderr).splitlines():
        match = HAPROXY_LINE.match(line.strip())
        if not match or any(n in line for n in NOISE):
            continue
        found.append(
            Finding(
                "HA-DAEMON",
                SEVERITY[match[1]],
                Msg("haproxy -c: {msg}", msg=match["msg"].replace(str(path), label)),
                label,
                int(match["line"]) if match["line"] else None,
            )
        )
    if not done.succeeded and not any(f.severity == "error" for f in found):
        found.append(
            Finding(
                "HA-DAEMON",
                "error",
                Msg(
                    "haproxy -c refused the file: {failure}",
                    failure=done.describe_failure().replace(str(path), label)[:300],
                ),
                label,
            )
        )
    return found


def keepalived_check(
    label: str, config: KeepalivedConfig, data: bytes, nic: str, folder: Path
) -> list[Finding]:
    if runner.which("keepalived") is None:
        return _not_installed(label, "KA-DAEMON", "keepalived", "keepalived")
    nics = {nic} | {i.value("interface") or nic for i in config.instances()}
    nics = {n for n in nics if IFNAME.match(n)}
    path = folder / "keepalived.conf"
    path.write_bytes(data)
    script = (
        "set -e\n"
        + "".join(
            f"ip link add {n} type veth peer name ltpeer{i}\nip link set {n} up\n"
            for i, n in enumerate(sorted(nics))
        )
        + f'exec keepalived -t -l -n -f "{path}"\n'
    )
    done = runner.run([*_unshare(), "sh", "-c", script], timeout_s=CHECK_TIMEOUT_S)
    if skipped := _no_namespace(label, "KA-DAEMON", done.stderr):
        return skipped
    found: list[Finding] = []
    for line in (done.stdout + "\n" + done.stderr).splitlines():
        line = line.strip()
        match = KEEPALIVED_LINE.match(line)
        if match:
            text = match["msg"].strip()
            severity = "warning" if re.search(r"deprecated|ignoring|Please use", text) else "error"
            if found and found[-1].line == int(match["line"]) and text.startswith("Please"):
                continue  # the second line of a two-line message
            found.append(
                Finding(
                    "KA-DAEMON",
                    severity,
                    Msg("keepalived -t: {text}", text=text.replace(str(path), label)),
                    label,
                    int(match["line"]),
                )
            )
        elif line.startswith("SECURITY VIOLATION"):
            found.append(
                Finding("KA-DAEMON", "warning", Msg("keepalived -t: {line}", line=line), label)
            )
    if not done.succeeded and not found and not insecure_only(done.stdout + done.stderr):
        found.append(
            Finding(
                "KA-DAEMON",
                "error",
                Msg(
                    "keepalived -t refused the file: {failure}",
                    failure=done.describe_failure().replace(str(path), label)[:300],
                ),
                label,
            )
        )
    return found


def insecure_only(output: str) -> bool:
    """A normal user's check: in its user namespace this machine's files belong to nobody, so
    keepalived finds every track script "insecure" and exits 5; that says nothing of the
    student's file, when it is all keepalived said."""
    said = [line for line in output.splitlines() if line.strip()]
    return os.geteuid() != 0 and bool(said) and all("due to insecure" in line for line in said)


def adapt_for_2x(text: str) -> tuple[str, list[int]]:
    """A HAProxy 1.5 config as 2.x takes it (an address on a frontend/listen line becomes a
    `bind` line after it), and the lines that were added (to give line numbers back)."""
    lines, added = [], []
    for line in text.splitlines():
        match = FRONTEND_ADDRESS.match(line)
        if match:
            lines.append(f"{match[1]}{match[2]}{match[3]}{match[4]}{match[6]}")
            lines.append(f"    bind {match[5]}")
            added.append(len(lines))
        else:
            lines.append(line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else ""), added


# a class shares files (the lab's, a friend's): each distinct one is checked once; by digest
_CACHE: dict[tuple[str, str, str], list[Finding]] = {}


def _relabel(found: list[Finding], label: str) -> list[Finding]:
    return [
        Finding(f.rule, f.severity, f.message, label, f.line, f.explanation, f.fix) for f in found
    ]


def grade_checks(
    configs: ConfigSet, nic: str, platform: str, skip: frozenset[str] = frozenset()
) -> list[Finding]:
    """The daemons' verdict for grading: each load balancer's files given to this machine's
    `haproxy -c` and `keepalived -t` (adapted to 2.x for a centos7 target; fragments, in
    `skip`, not given), each distinct file checked once per process."""
    found: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="labtool-grade-") as folder:
        for node, haproxy in configs.haproxy.items():
            data = configs.text_of(node, "haproxy")
            if haproxy.file in skip or is_binary(data):  # (a binary file: said, not text)
                continue
            key = ("haproxy", hashlib.sha256(data).hexdigest(), platform)
            if key not in _CACHE:
                text, added = data.decode("utf-8", "replace"), list[int]()
                if platform == "centos7":
                    text, added = adapt_for_2x(text)
                checked = [
                    dataclasses.replace(f, line=f.line - sum(1 for a in added if a <= f.line))
                    if f.line is not None
                    else f
                    for f in haproxy_check(haproxy.file, text.encode(), Path(folder))
                ]
                _CACHE[key] = [f for f in checked if "listening addresses" not in f.message]
            found += _relabel(_CACHE[key], haproxy.file)
        for node, keepalived in configs.keepalived.items():
            data = configs.text_of(node, "keepalived")
            if is_binary(data):
                continue
            key = ("keepalived", hashlib.sha256(data).hexdigest(), nic)
            if key not in _CACHE:
                _CACHE[key] = keepalived_check(keepalived.file, keepalived, data, nic, Path(folder))
            found += _relabel(_CACHE[key], keepalived.file)
    return found
