"""A submission's own lab: which of its folders are the load balancers and the web nodes, where
its configs are (node folders, loose files, or configs pasted in its Markdown), and its address
plan (VIP, NIC, web nodes), derived from those files rather than assumed to be the lab's.

Real work comes as `lb1/etc/keepalived/keepalived.conf`, as `haproxy1/...` like the lab, as one
keepalived.conf and one haproxy.cfg at the top (shared by both load balancers), or as a README
with the configs pasted in code blocks under headings naming the node."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from labtool.configs.common import decode
from labtool.configs.haproxy import HaproxyConfig, Section, parse_haproxy
from labtool.configs.keepalived import KeepalivedConfig, parse_keepalived
from labtool.grading.configset import (
    HAPROXY_CFG,
    INDEX_HTML,
    KEEPALIVED_CONF,
    MAX_FILE_BYTES,
    ConfigSet,
    Reader,
    _resolver,
    folder_reader,
    missing_config,
    missing_page,
    sniff,
)
from labtool.spec import LabSpec

PAGE_FOLDERS = ("/var/www/html", "/usr/share/nginx/html", "/var/www")
INDEX_NAMES = ("index.html", "index.htm", "index.php", "index.nginx-debian.html")
REPORT_NAMES = (
    "report.md",
    "rapport.md",
    "compte-rendu.md",
    "compte_rendu.md",
    "cr.md",
    "readme.md",
    "report.txt",
    "rapport.txt",
)
SHARED_WORDS = (
    "both",
    "deux",
    "les 2",
    "the 2",
    "identique",
    "same",
    "meme",
    "pareil",
    "tous",
    "each",
    "chaque",
    "commun",
)
LOCAL = ("127.", "localhost", "0.0.0.0")


def natural(name: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name.lower()))


@dataclass
class Plan:
    """The submission's lab as its files show it."""

    lbs: list[str] = field(default_factory=list)  # load balancers, the intended MASTER first
    webs: list[str] = field(default_factory=list)  # web nodes, in order
    vip: str | None = None
    nics: dict[str, str] = field(default_factory=dict)  # load balancer -> its VRRP interface
    servers: list[tuple[str, str]] = field(default_factory=list)  # serving backend: name, addr
    addresses: dict[str, str] = field(default_factory=dict)  # node -> address (if shown)
    shared: bool = False  # one file for both load balancers (loose or pasted once)
    fragments: set[str] = field(default_factory=set)  # haproxy.cfg labels: only the edited part
    shown_nics: dict[str, list[str]] = field(default_factory=dict)  # `ip a` pasted: NIC -> IPs
    report: str | None = None  # the answer sheet's file name in the submission

    @property
    def nic(self) -> str | None:
        found = set(self.nics.values())
        return found.pop() if len(found) == 1 else None

    def web_addresses(self, spec: LabSpec) -> dict[str, str]:
        """What the web nodes should be: address -> name. The lab's when the submission uses
        the lab's network, else the addresses it shows for its web nodes, else its servers."""
        names = self.webs or [n.name for n in spec.by_role("web")]
        lab = [str(n.address) for n in spec.by_role("web")]
        if self.vip is not None and same_net(self.vip, str(spec.vip)):
            return {
                address: (names[i] if i < len(names) else f"web{i + 1}")
                for i, address in enumerate(lab)
            }
        shown = [self.addresses[w] for w in self.webs if w in self.addresses]
        if len(shown) >= max(2, len(self.webs)):
            return {a: w for w, a in zip(self.webs, shown, strict=False)}
        return {
            address: (names[i] if i < len(names) else name)
            for i, (name, address) in enumerate(self.servers)
        }

    def real_nics(self) -> frozenset[str]:
        """The NICs an `ip a` pasted in the submission shows on the VIP's network: the
        machines' real NIC for the lab's network."""
        if self.vip is None:
            return frozenset()
        return frozenset(
            nic
            for nic, addresses in self.shown_nics.items()
            if any(same_net(a, self.vip) and a != self.vip for a in addresses)
        )

    def web_count(self, spec: LabSpec) -> int:
        return max(len(self.webs), len(spec.by_role("web")))

    def is_labs(self, spec: LabSpec) -> bool:
        served = {a for _, a in self.servers}
        labs = {str(n.address) for n in spec.by_role("web")}
        return (self.vip in (None, str(spec.vip))) and (not served or served <= labs)


def same_net(a: str, b: str) -> bool | None:
    """Two addresses in one /24 (the lab's networks are), or None when one is not an address."""
    try:
        return (
            ipaddress.ip_interface(f"{a}/24").network == ipaddress.ip_interface(f"{b}/24").network
        )
    except ValueError:
        return None


def _entries(root: Path) -> list[str]:
    try:
        return sorted(
            (
                p.name
                for p in root.iterdir()
                if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
            ),
            key=natural,
        )
    except OSError:
        return []


def _page(read: Reader, node: str) -> tuple[str, bytes] | None:
    for folder in PAGE_FOLDERS:
        for name in INDEX_NAMES:
            data = read(node, f"{folder}/{name}")
            if data is not None:
                return f"{folder}/{name}", data
    return None


# --- configs pasted in Markdown -------------------------------------------------------------


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


def _echo_pages(markdown: str, webs: list[str]) -> dict[str, str]:
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


# --- addresses shown (Vagrantfile, report tables) -------------------------------------------

IPV4 = r"(?<![\d.])((?:\d{1,3}\.){3}\d{1,3})(?![\d.])"


def _shown_addresses(texts: list[str], nodes: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for text in texts:
        for line in text.splitlines():  # a table row: | web1 | 192.168.56.21 |
            if not line.lstrip().startswith("|"):
                continue
            cells = [c.strip(" `*").lower() for c in line.strip().strip("|").split("|")]
            addresses = re.findall(IPV4, line)
            for node in nodes:
                if node.lower() in cells and len(addresses) == 1 and node not in found:
                    found[node] = addresses[0]
        current = None  # a Vagrantfile: config.vm.define "web1" ... ip: "..."
        for line in text.splitlines():
            define = re.search(r"""define\s+["'](\S+?)["']""", line)
            if define:
                current = define.group(1)
            ip = re.search(r"""ip:\s*["']""" + IPV4, line)
            if ip and current in nodes and current not in found:
                found[current] = ip.group(1)
    return found


IP_A_NIC = re.compile(r"^\s*\d+:\s+([A-Za-z][\w.-]{0,14})(?:@\S+)?:\s+<")
IP_A_INET = re.compile(r"^\s*inet\s+" + IPV4 + r"/\d+")


def _ip_a(texts: list[str]) -> dict[str, list[str]]:
    """`ip a` output pasted in a report: each NIC and its IPv4 addresses."""
    found: dict[str, list[str]] = {}
    current = None
    for text in texts:
        for line in text.splitlines():
            nic = IP_A_NIC.match(line)
            if nic:
                current = nic.group(1)
                found.setdefault(current, [])
                continue
            inet = IP_A_INET.match(line)
            if inet and current is not None:
                found[current].append(inet.group(1))
    return {nic: addresses for nic, addresses in found.items() if nic != "lo"}


# --- the whole submission --------------------------------------------------------------------


def read_submission(root: Path, spec: LabSpec) -> tuple[ConfigSet, Plan]:
    """The submission's configs by its own node names, and its plan."""
    read, lister = folder_reader(root)
    plan = Plan()
    configs = ConfigSet()
    folders = _entries(root)
    lb_files = {
        node: {
            kind: path
            for kind, path in (("keepalived", KEEPALIVED_CONF), ("haproxy", HAPROXY_CFG))
            if read(node, path) is not None
        }
        for node in folders
    }
    plan.lbs = [n for n in folders if lb_files[n]]
    pages = {n: found for n in folders if n not in plan.lbs and (found := _page(read, n))}
    lab_webs = {n.name for n in spec.by_role("web")}
    plan.webs = [
        n
        for n in folders
        if n not in plan.lbs
        and (n in pages or n in lab_webs or re.search(r"web|srv|apache|nginx|www", n.lower()))
    ]
    plan.report = (
        next(
            (
                p.name
                for p in sorted(root.iterdir())
                if p.name.lower() in REPORT_NAMES and p.is_file() and not p.is_symlink()
            ),
            None,
        )
        if root.is_dir()
        else None
    )
    markdown = [_read_text(root / name) for name in _markdown_names(root)]
    for node in plan.lbs:
        for kind, path in lb_files[node].items():
            data = read(node, path) or b""
            label = f"{node}{path}"
            configs.raw[label] = data
            if kind == "keepalived":
                configs.keepalived[node] = parse_keepalived(
                    data, label, _resolver(node, read, lister, lambda n, p: f"{n}{p}")
                )
            else:
                configs.haproxy[node] = parse_haproxy(data, label)
    if not plan.lbs:
        _loose(root, spec, configs, plan)
    if not configs.keepalived and not configs.haproxy:
        _pasted(root, markdown, spec, configs, plan)
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
        for node, text in _echo_pages("\n".join(markdown), plan.webs).items():
            configs.pages[node] = text
            configs.page_files[node] = plan.report or "report.md"
    _missing(configs, plan, spec)
    _derive(configs, plan, [*markdown, _read_text(root / "Vagrantfile")])
    return configs, plan


def _read_text(path: Path) -> str:
    if path.is_symlink() or not path.is_file():
        return ""
    with path.open("rb") as handle:
        return decode(handle.read(MAX_FILE_BYTES))


def _markdown_names(root: Path) -> list[str]:
    try:
        return sorted(
            p.name
            for p in root.iterdir()
            if p.is_file()
            and not p.is_symlink()
            and p.suffix.lower() in (".md", ".txt", ".markdown")
        )
    except OSError:
        return []


def _lab_lbs(spec: LabSpec) -> list[str]:
    return [n.name for n in spec.by_role("lb")]


def _loose(root: Path, spec: LabSpec, configs: ConfigSet, plan: Plan) -> None:
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
    lbs = _lab_lbs(spec)
    by_node: dict[str, dict[str, Path]] = {}
    for path in files:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES)
        name = path.name.lower()
        kind = (
            "keepalived"
            if "keepalived" in name or "vrrp" in name
            else "haproxy"
            if "haproxy" in name and not name.startswith("keepalived")
            else sniff(data)
        )
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


def _pasted(root: Path, markdown: list[str], spec: LabSpec, configs: ConfigSet, plan: Plan) -> None:
    lbs = _lab_lbs(spec)
    names = _markdown_names(root)
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


def _missing(configs: ConfigSet, plan: Plan, spec: LabSpec) -> None:
    lbs = plan.lbs or _lab_lbs(spec)
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


def serving_backends(config: HaproxyConfig) -> list[Section]:
    """The sections that serve the site: the frontends' default_backend/use_backend targets
    and the listen sections with servers (a stats-only listen serves nothing)."""
    found: list[Section] = []
    for section in config.frontends():
        if section.kind == "listen":
            if section.servers():
                found.append(section)
            continue
        names = [ln.words[1] for ln in section.all("default_backend") if len(ln.words) > 1]
        names += [ln.words[1] for ln in section.all("use_backend") if len(ln.words) > 1]
        for name in names:  # (every section of that name: HAProxy refuses two, see lint)
            found += [b for b in config.backends() if b.name == name and b not in found]
    if not found:  # a fragment with only a backend
        found = [b for b in config.of_kind("backend") if b.servers()][:1]
    return found


def _derive(configs: ConfigSet, plan: Plan, texts: list[str]) -> None:
    vips: Counter[str] = Counter()
    for node in plan.lbs:
        config: KeepalivedConfig | None = configs.keepalived.get(node)
        if config is None:
            continue
        instances = config.instances()
        if not instances:
            continue
        first = instances[0]
        nic = first.value("interface")
        if nic:
            plan.nics[node] = nic
        block = first.first("virtual_ipaddress")
        for child in (block.children or [])[:1] if block else []:
            vips[child.keyword.split("/")[0]] += 1
        src = first.value("unicast_src_ip")
        if src:
            plan.addresses.setdefault(node, src)
    if vips:
        plan.vip = vips.most_common(1)[0][0]
    for label, config_h in configs.haproxy.items():
        if not config_h.of_kind("global") and not config_h.of_kind("defaults"):
            plan.fragments.add(config_h.file)
        if not plan.servers and label in plan.lbs[:1]:
            for backend in serving_backends(config_h):
                plan.servers += [
                    (s.words[1], s.words[2].rsplit(":", 1)[0])
                    for s in backend.servers()
                    if not s.words[2].startswith(LOCAL)
                ]
    for node, address in _shown_addresses(texts, plan.lbs + plan.webs).items():
        plan.addresses.setdefault(node, address)
    plan.shown_nics = _ip_a(texts)
