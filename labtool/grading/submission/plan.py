"""A submission's own lab: which of its folders are the load balancers and the web nodes, where
its configs are (node folders, loose files, or configs pasted in its Markdown), and its address
plan (VIP, NIC, web nodes), derived from those files rather than assumed to be the lab's.

Real work comes as `lb1/etc/keepalived/keepalived.conf`, as `haproxy1/...` like the lab, as one
keepalived.conf and one haproxy.cfg at the top (shared by both load balancers), or as a README
with the configs pasted in code blocks under headings naming the node."""

from __future__ import annotations

import re
from pathlib import Path

from labtool.configs.common import decode
from labtool.configs.haproxy import parse_haproxy
from labtool.configs.keepalived import parse_keepalived
from labtool.grading.submission.configset import (
    HAPROXY_CFG,
    KEEPALIVED_CONF,
    MAX_FILE_BYTES,
    ConfigSet,
    Lister,
    Reader,
    folder_reader,
    resolver,
)
from labtool.grading.submission.plan_base import (
    REPORT_NAMES,
    Plan,
    entries_of,
    markdown_names,
    page_of,
    read_text_quietly,
)
from labtool.grading.submission.plan_derive import derive
from labtool.grading.submission.plan_sources import (
    echo_pages,
    loose_configs,
    missing_configs,
    pasted_configs,
)
from labtool.spec.model import LabSpec

# --- configs pasted in Markdown -------------------------------------------------------------


# --- addresses shown (Vagrantfile, report tables) -------------------------------------------


# --- the whole submission --------------------------------------------------------------------


def _report_files(root: Path) -> list[str]:
    """The answer sheet's files: a report named as one (report.md, rapport.md...) at the
    submission's top; else every Markdown or text file of its top folder (its README first)
    and of its docs/ folder, in order: a report spread over several files is read whole."""
    if not root.is_dir():
        return []

    def texts(folder: Path) -> list[Path]:
        if not folder.is_dir() or folder.is_symlink():
            return []
        return sorted(
            (
                p
                for p in folder.iterdir()
                if p.suffix.lower() in (".md", ".txt") and p.is_file() and not p.is_symlink()
            ),
            key=lambda p: (p.name.lower() != "readme.md", p.name.lower()),
        )

    top = texts(root)
    named = [p for p in top if p.name.lower() in REPORT_NAMES and p.name.lower() != "readme.md"]
    chosen = named[:1] or [*top, *texts(root / "docs")]
    return [str(p.relative_to(root)) for p in chosen]


def _node_configs(
    node: str, files: dict[str, str], read: Reader, lister: Lister, configs: ConfigSet
) -> None:
    """A load balancer's keepalived.conf and haproxy.cfg, from its own folder."""
    for kind, path in files.items():
        data = read(node, path) or b""
        label = f"{node}{path}"
        configs.raw[label] = data
        if kind == "keepalived":
            configs.keepalived[node] = parse_keepalived(
                data, label, resolver(node, read, lister, lambda n, p: f"{n}{p}")
            )
        else:
            configs.haproxy[node] = parse_haproxy(data, label)


def read_submission(root: Path, spec: LabSpec) -> tuple[ConfigSet, Plan]:
    """The submission's configs by its own node names, and its plan."""
    read, lister = folder_reader(root)
    plan = Plan()
    configs = ConfigSet()
    folders = entries_of(root)
    lb_files = {
        node: {
            kind: path
            for kind, path in (("keepalived", KEEPALIVED_CONF), ("haproxy", HAPROXY_CFG))
            if read(node, path) is not None
        }
        for node in folders
    }
    plan.lbs = [n for n in folders if lb_files[n]]
    pages = {n: found for n in folders if n not in plan.lbs and (found := page_of(read, n))}
    lab_webs = {n.name for n in spec.by_role("web")}
    plan.webs = [
        n
        for n in folders
        if n not in plan.lbs
        and (n in pages or n in lab_webs or re.search(r"web|srv|apache|nginx|www", n.lower()))
    ]
    plan.report_files = _report_files(root)
    plan.report = " + ".join(plan.report_files) or None
    markdown = [read_text_quietly(root / name) for name in markdown_names(root)]
    for node in plan.lbs:
        _node_configs(node, lb_files[node], read, lister, configs)
    if not plan.lbs:
        loose_configs(root, spec, configs, plan)
    if not configs.keepalived and not configs.haproxy:
        pasted_configs(root, markdown, spec, configs, plan)
    if not plan.webs:
        plan.webs = [
            n
            for n in folders
            if n not in plan.lbs and re.search(r"web|srv|apache|nginx|www", n.lower())
        ] or [n.name for n in spec.by_role("web")]
    for node, (path, data) in pages.items():
        configs.pages[node] = decode(data[:MAX_FILE_BYTES])
        configs.page_files[node] = f"{node}{path}"
    if not configs.pages:
        for node, text in echo_pages("\n".join(markdown), plan.webs).items():
            configs.pages[node] = text
            configs.page_files[node] = plan.report or "report.md"
    missing_configs(configs, plan, spec)
    derive(configs, plan, [*markdown, read_text_quietly(root / "Vagrantfile")])
    return configs, plan
