"""Where a submission keeps its configs when it does not mirror the nodes' files: loose files, one
file shared by both load balancers, configs pasted in a README, pages echoed in a report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from labtool.configs.haproxy import parse_haproxy
from labtool.configs.keepalived import parse_keepalived
from labtool.grading.submission.configset import (
    HAPROXY_CFG,
    INDEX_HTML,
    KEEPALIVED_CONF,
    MAX_FILE_BYTES,
    ConfigSet,
    kind_of,
    missing_config,
    missing_page,
    sniff,
)
from labtool.grading.submission.plan_base import SHARED_WORDS, Plan, lab_lbs, markdown_names
from labtool.spec.model import LabSpec


@dataclass
class _Block:
    text: str  # padded with blank lines, so that its line numbers are the file's
    kind: str  # keepalived or haproxy
    hint: str  # the lines just above it (the heading that names the node)


def _blocks(markdown: str) -> list[_Block]:
    lines = markdown.splitlines()
    found = []
    index = 0
    while index < len(lines):
        if not lines[index].lstrip().startswith("```"):
            index += 1
            continue
        start = index + 1
        end = start
        while end < len(lines) and not lines[end].lstrip().startswith("```"):
            end += 1
        body = "\n".join(lines[start:end])
        kind = sniff(body.encode())
        if kind:
            above = [ln for ln in lines[max(0, index - 4) : index] if ln.strip()]
            found.append(_Block("\n" * start + body + "\n", kind, " ".join(above[-2:])))
        index = end + 1
    return found


def _node_in(hint: str, nodes: list[str]) -> str | None:
    text = hint.lower()
    for node in sorted(nodes, key=len, reverse=True):
        if re.search(rf"(?<![a-z0-9]){re.escape(node.lower())}(?![0-9])", text):
            return node
    return None


PAGE_ECHO = re.compile(r"""echo\s+(["']?)(.+?)\1\s*>\s*(\S*index\.(?:html?|php))""")


def echo_pages(markdown: str, webs: list[str]) -> dict[str, str]:
    pages: dict[str, str] = {}
    last_node: str | None = None
    for line in markdown.splitlines():
        named = _node_in(line, webs)
        last_node = named or last_node
        for match in PAGE_ECHO.finditer(line):
            node = named or last_node or _node_in(match.group(2), webs)
            if node and node not in pages:
                pages[node] = match.group(2) + "\n"
    return pages


def loose_configs(root: Path, spec: LabSpec, configs: ConfigSet, plan: Plan) -> None:
    """keepalived.conf / haproxy.cfg at the top (or one folder down): named for a node
    (haproxy1-keepalived.conf, keepalived_lb2.conf) or shared by both."""
    files: list[Path] = []
    for folder in (root, *[p for p in sorted(root.iterdir()) if p.is_dir() and not p.is_symlink()]):
        try:
            files += [
                p
                for p in sorted(folder.iterdir())
                if p.is_file() and not p.is_symlink() and p.suffix.lower() in (".conf", ".cfg")
            ]
        except OSError:
            continue
    if not files:
        return
    lbs = lab_lbs(spec)
    by_node: dict[str, dict[str, Path]] = {}
    for path in files:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES)
        kind = kind_of(path, data)
        if kind is None:
            continue
        node = _loose_node(path, root, lbs, data)
        for target in [node] if node else lbs:
            by_node.setdefault(target, {}).setdefault(kind, path)
        if node is None:
            plan.shared = True
    for node in lbs:
        for kind, path in by_node.get(node, {}).items():
            label = str(path.relative_to(root))
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES)
            configs.raw[label] = data
            if kind == "keepalived":
                configs.keepalived[node] = parse_keepalived(data, label)
            else:
                configs.haproxy[node] = parse_haproxy(data, label)
    plan.lbs = [n for n in lbs if n in by_node]


def _loose_node(path: Path, root: Path, lbs: list[str], data: bytes) -> str | None:
    """Which load balancer a loose file is for, from its folder's and its own name
    (haproxy1/keepalived.conf, keepalived-lb2.conf, keepalived_master.conf), or None: both."""
    hint = (path.parent.name + "/" if path.parent != root else "") + path.name.lower()
    hint = re.sub(r"haproxy(?=[._-]|/|$)", "", hint.lower())
    digits = re.findall(r"(\d)", hint)
    if digits and 0 < int(digits[-1]) <= len(lbs):
        return lbs[int(digits[-1]) - 1]
    if re.search(r"master|maitre|primary|principal", hint):
        return lbs[0]
    if re.search(r"backup|slave|secours|secondary", hint) and len(lbs) > 1:
        return lbs[1]
    return None


def pasted_configs(
    root: Path, markdown: list[str], spec: LabSpec, configs: ConfigSet, plan: Plan
) -> None:
    lbs = lab_lbs(spec)
    names = markdown_names(root)
    for name, text in zip(names, markdown, strict=False):
        blocks = _blocks(text)
        if not blocks:
            continue
        keepalived = [b for b in blocks if b.kind == "keepalived"]
        for position, block in enumerate(keepalived):
            node = (
                _node_in(block.hint, lbs)
                or _by_state(block.text, lbs)
                or (lbs[position] if position < len(lbs) else None)
            )
            targets = lbs if len(keepalived) == 1 else [node] if node else []
            for target in targets:
                if target not in configs.keepalived:
                    configs.keepalived[target] = parse_keepalived(block.text, name)
                    configs.raw.setdefault(f"{name}#{target}-keepalived", block.text.encode())
        haproxy = [b for b in blocks if b.kind == "haproxy"]
        for position, block in enumerate(haproxy):
            node = (
                None
                if len(haproxy) == 1 or _has_shared(block.hint)
                else _node_in(block.hint, lbs) or (lbs[position] if position < len(lbs) else None)
            )
            for target in [node] if node else lbs:
                if target not in configs.haproxy:
                    configs.haproxy[target] = parse_haproxy(block.text, name)
                    configs.raw.setdefault(f"{name}#{target}-haproxy", block.text.encode())
        if len(keepalived) == 1 or len(haproxy) == 1:
            plan.shared = True
    plan.lbs = [n for n in lbs if n in configs.keepalived or n in configs.haproxy]


def _by_state(text: str, lbs: list[str]) -> str | None:
    state = re.search(r"^\s*state\s+(MASTER|BACKUP)", text, re.M)
    if state is None or len(lbs) < 2:
        return None
    return lbs[0] if state.group(1) == "MASTER" else lbs[1]


def _has_shared(hint: str) -> bool:
    text = hint.lower()
    return any(word in text for word in SHARED_WORDS)


def missing_configs(configs: ConfigSet, plan: Plan, spec: LabSpec) -> None:
    lbs = plan.lbs or lab_lbs(spec)
    if not plan.lbs:
        plan.lbs = lbs
    for node in lbs:
        for kind, path in (("keepalived", KEEPALIVED_CONF), ("haproxy", HAPROXY_CFG)):
            held = configs.keepalived if kind == "keepalived" else configs.haproxy
            if node not in held:
                configs.missing.append(missing_config(kind, node, path, f"{node}{path}"))
    for node in plan.webs:
        if node not in configs.pages:
            configs.missing.append(missing_page(node, f"{node}{INDEX_HTML}"))
