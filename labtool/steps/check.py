"""Each of the lab's steps checked on the live nodes: done or not, what is missing, the hint.
Reads only (files, daemons' state, addresses, the client's answers); changes nothing."""

from __future__ import annotations

import re
import shlex
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from labtool.backends.base import Backend
from labtool.configs.haproxy import parse_haproxy
from labtool.configs.keepalived import parse_keepalived
from labtool.i18n import translation
from labtool.provision.files import Versions, keeps_lvs_sync, needs_frontend_bind
from labtool.spec.model import LabSpec, Node
from labtool.steps import batch
from labtool.steps.model import Step

# The lab's package and unit names (CentOS 7's), and Debian's where a machine has those.
DEBIAN = {"httpd": "apache2"}
PACKAGE_DB = "/usr/local/sbin/.labtool-packages"  # a netns node's own yum
COMMAND_S = 20.0  # one command on a node, at most
MAX_ROUNDS = 6  # of a check's commands run together (then one at a time)


@dataclass
class StepResult:
    id: str
    title: str
    ok: bool
    nodes: list[str]
    missing: list[str] = field(default_factory=list)
    hint: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "ok": self.ok,
            "nodes": self.nodes,
            "missing": self.missing,
            "hint": "" if self.ok else self.hint,
        }


class Checker:
    """One look at the lab, step by step."""

    def __init__(self, spec: LabSpec, backend: Backend, versions: Versions, lang: str) -> None:
        self.spec, self.backend, self.versions, self.lang = spec, backend, versions, lang
        self.words = translation(lang)
        self._answers: dict[tuple[str, str], tuple[bool, str]] = {}  # (one look: asked once)
        self._asked: dict[str, list[str]] | None = None  # a dry round's commands, per node

    def check_all(self, steps: list[Step]) -> list[StepResult]:
        """Every step, in rounds: the steps are looked at with what is known, then what they
        asked is run, one process per node, the nodes side by side; until nothing new is asked
        (a step asks on from what it got: two or three rounds)."""
        for _ in range(MAX_ROUNDS):
            self._asked = {}
            try:
                for step in steps:
                    self.check(step)
            finally:
                asked, self._asked = self._asked, None
            if not asked:
                break
            with ThreadPoolExecutor(max_workers=len(asked)) as pool:
                list(pool.map(self._answer, asked.items()))
        return [self.check(step) for step in steps]  # (anything still asked: one at a time)

    def _answer(self, asked: tuple[str, list[str]]) -> None:
        node, commands = asked
        mark = batch.new_mark()
        timeout_s = COMMAND_S + batch.PER_COMMAND_S * len(commands)
        done = self.backend.transport(node).run(batch.script(commands, mark), timeout_s=timeout_s)
        answers = batch.split(done.stdout, mark, len(commands))
        for command, answer in zip(commands, answers, strict=True):
            self._answers[(node, command)] = answer

    def run(self, node: str, script: str) -> tuple[bool, str]:
        if not self.backend.is_up(node):
            return False, ""
        key = (node, script)
        if key in self._answers:
            return self._answers[key]
        if self._asked is not None:  # (a dry round: asked, and taken as done for now)
            if script not in (asked := self._asked.setdefault(node, [])):
                asked.append(script)
            return True, ""
        done = self.backend.transport(node).run(script, timeout_s=COMMAND_S)
        self._answers[key] = (done.succeeded, done.stdout)
        return self._answers[key]

    def read(self, node: str, path: str) -> str | None:
        ok, out = self.run(node, f"cat {shlex.quote(path)} 2>/dev/null")
        return out if ok else None

    def finding(self, text: str, **values: object) -> str:
        """A finding in the reader's language, its values put in (labtool/i18n.py)."""
        return self.words(text).format(**values)

    def check(self, step: Step) -> StepResult:
        nodes = step.targets(self.spec)
        missing: list[str] = []
        for node in nodes:
            if not self.backend.is_up(node.name):
                missing.append(self.finding("{name} is down", name=node.name))
                continue
            missing += [f"{node.name}: {m}" for m in getattr(self, f"_{step.kind}")(step, node)]
        return StepResult(
            step.id,
            step.text(step.title, self.lang),
            not missing,
            [n.name for n in nodes],
            missing,
            step.text(step.hint, self.lang),
        )

    # --- the kinds -----------------------------------------------------------------------

    def _installed(self, node: Node, name: str) -> bool:
        package, debian = shlex.quote(name), shlex.quote(DEBIAN.get(name, name))
        ok, _ = self.run(
            node.name,
            f"if [ -f {PACKAGE_DB} ]; then grep -qx {package} {PACKAGE_DB}; "
            f"elif command -v rpm >/dev/null; then rpm -q {package} >/dev/null; "
            f"else dpkg-query -s {debian} >/dev/null 2>&1; fi",  # (dpkg -s: two processes)
        )
        return ok

    def _unit(self, name: str, verb: str, node: Node) -> bool:
        unit, debian = shlex.quote(name), shlex.quote(DEBIAN.get(name, name))
        ok, _ = self.run(
            node.name,
            f"u={unit}; [ -e /lib/systemd/system/{debian}.service ] && ! [ -f {PACKAGE_DB} ] "
            f"&& u={debian}; systemctl {verb} --quiet $u 2>/dev/null",
        )
        return ok

    def _package(self, step: Step, node: Node) -> list[str]:
        return [
            self.finding("{p} is not installed", p=p)
            for p in step.words("package")
            if not self._installed(node, p)
        ]

    def _enabled(self, step: Step, node: Node) -> list[str]:
        return [
            self.finding("{u} is not enabled", u=u)
            for u in step.words("unit")
            if not self._unit(u, "is-enabled", node)
        ]

    def _running(self, step: Step, node: Node) -> list[str]:
        missing = self._package(step, node)
        if missing:
            return missing
        if step.args.get("enabled"):
            missing += self._enabled(
                Step(step.id, {}, {}, step.nodes, "enabled", {"unit": step.words("unit")}), node
            )
        for unit in step.words("unit"):
            if not self._unit(unit, "is-active", node):
                missing.append(self.finding("{unit} is not running", unit=unit))
                missing += self._why_not(unit, node)
        return missing

    def _why_not(self, unit: str, node: Node) -> list[str]:
        """What this machine's daemons refuse of what the lab wrote for CentOS 7."""
        if unit == "haproxy" and needs_frontend_bind(self.versions):
            text = self.read(node.name, "/etc/haproxy/haproxy.cfg") or ""
            if re.search(r"^\s*(frontend|listen)\s+\S+\s+\S*:\d+", text, re.M):
                return [
                    self.finding(
                        "HAProxy {haproxy_text} (this machine's) refuses an address on the "
                        "'frontend' line (HAProxy 1.5, the lab's CentOS 7's, took it): write "
                        "'frontend main' and, under it, 'bind *:80'",
                        haproxy_text=self.versions.haproxy_text,
                    )
                ]
        if unit == "keepalived" and not keeps_lvs_sync(self.versions):
            text = self.read(node.name, "/etc/keepalived/keepalived.conf") or ""
            if re.search(r"^\s*lvs_sync_daemon_interface\b", text, re.M):
                return [
                    self.finding(
                        "keepalived {keepalived_text} (this machine's) does not start with "
                        "'lvs_sync_daemon_interface' where IPVS is absent: remove the line (it "
                        "syncs LVS, which HAProxy does not use)",
                        keepalived_text=self.versions.keepalived_text,
                    )
                ]
        return []

    def _line(self, step: Step, node: Node) -> list[str]:
        text = self.read(node.name, step.args["file"]) or ""
        have = {re.sub(r"\s+", "", ln.split("#", 1)[0]) for ln in text.splitlines()}
        return [
            self.finding("no line '{want}' in {file}", want=want, file=step.args["file"])
            for want in step.words("line")
            if re.sub(r"\s+", "", want) not in have
        ]

    def _file(self, step: Step, node: Node) -> list[str]:
        ok, _ = self.run(node.name, f"test -e {shlex.quote(step.args['file'])}")
        return [] if ok else [self.finding("no {file}", file=step.args["file"])]

    def log_of(self, node: str, path: str) -> str:
        """A daemon's log: its file (a netns node's), else the journal or syslog (a VM's)."""
        text = self.read(node, path)
        if text is not None:
            return text
        unit = path.rsplit("/", 1)[-1].split(".")[0]
        _, out = self.run(
            node,
            f"journalctl -u {shlex.quote(unit)} --no-pager 2>/dev/null || "
            f"grep -i {shlex.quote(unit)} /var/log/messages /var/log/syslog 2>/dev/null",
        )
        return out

    def _log(self, step: Step, node: Node) -> list[str]:
        text = self.log_of(node.name, step.args["file"])
        if step.args["text"] in text:
            return []
        return [self.finding("not seen yet")]

    def _holds(self, node: str) -> bool:
        """Whether the node holds the VIP (looked at once a check: two steps ask)."""
        _, out = self.run(node, "ip -4 -o addr show")
        return f" {self.spec.vip}/" in out

    def _vip(self, step: Step, node: Node) -> list[str]:
        if self._holds(node.name):
            return []
        others = [n.name for n in self.spec.by_role("lb") if n != node]
        holder = next((n for n in others if self._holds(n)), None)
        if holder is not None and "Entering MASTER STATE" in self.log_of(
            holder, "/var/log/keepalived.log"
        ):
            return []  # since the failover test: the lab's equal priorities give no failback
        return [self.finding("does not hold the VIP {vip}", vip=self.spec.vip)]

    def _vrrp(self, step: Step, node: Node) -> list[str]:
        from labtool.steps.check_configs import vrrp_missing

        return vrrp_missing(self, step, node)

    def _haproxy(self, step: Step, node: Node) -> list[str]:
        from labtool.steps.check_configs import haproxy_missing

        return haproxy_missing(self, node)

    def _page(self, step: Step, node: Node) -> list[str]:
        want = step.args["text"].format(node=node.name)
        text = self.read(node.name, "/var/www/html/index.html")
        if text is not None and want in text:
            return []
        return [self.finding("the page does not say '{want}'", want=want)]

    def _balanced(self, step: Step, node: Node) -> list[str]:
        if not any(self._holds(n.name) for n in self.spec.nodes if n != node):
            # (no node holds it: nothing could answer, and asking waits for curl's second)
            return [self.finding("http://{vip}/ does not answer", vip=self.spec.vip)]
        # six requests, one process (on a busy machine a process costs more than a request;
        # CentOS 7's curl 7.29 has no --fail-early): each page's first bytes, a line each
        script = f"curl -s -m 1 -r 0-199 -w '\\n' {f'http://{self.spec.vip}/ ' * 6}"
        _, out = self.run(node.name, script)
        pages = {
            w.name: (self.read(w.name, "/var/www/html/index.html") or "").strip()
            for w in self.spec.by_role("web")
        }
        seen = {line.strip() for line in out.splitlines() if line.strip()}
        if not seen:
            return [self.finding("http://{vip}/ does not answer", vip=self.spec.vip)]
        silent = [w for w, page in pages.items() if not page or page not in seen]
        return [self.finding("{w} never answers through the VIP", w=w) for w in silent]


def parse_for(kind: str, text: str, label: str) -> Any:
    return parse_keepalived(text, label) if kind == "keepalived" else parse_haproxy(text, label)
