"""The files one lab is made of, wherever they come from (a submission folder, a running lab,
files named on the command line), read into parsed configs by node.

A submission mirrors the nodes' files: `<node>/<absolute path>` (../shared/design.md)."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labtool.configs.common import Finding, decode
from labtool.configs.haproxy import HaproxyConfig, parse_haproxy
from labtool.configs.keepalived import include_candidates, parse_keepalived
from labtool.configs.keepalived_model import KeepalivedConfig
from labtool.i18n import Msg
from labtool.spec.model import LabSpec

KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf"
HAPROXY_CFG = "/etc/haproxy/haproxy.cfg"
INDEX_HTML = "/var/www/html/index.html"
MAX_FILE_BYTES = 1 << 20  # a config bigger than 1 MiB is not a lab config

# node, absolute path -> the file's bytes, or None when it is not there
Reader = Callable[[str, str], "bytes | None"]
# node, absolute glob pattern -> absolute paths that match
Lister = Callable[[str, str], "list[str]"]


@dataclass
class ConfigSet:
    """Parsed configs by node (or by file name, for files named on the command line)."""

    keepalived: dict[str, KeepalivedConfig] = field(default_factory=dict)
    haproxy: dict[str, HaproxyConfig] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # web node -> index.html
    page_files: dict[str, str] = field(default_factory=dict)  # web node -> its page's label
    missing: list[Finding] = field(default_factory=list)  # expected files not there
    raw: dict[str, bytes] = field(default_factory=dict)  # label -> bytes, for the daemons' checks

    def text_of(self, node: str, kind: str) -> bytes:
        """The bytes of a node's keepalived.conf or haproxy.cfg, as handed in: its file's, or,
        for a config pasted in a README (one file, a block per node), its own block's."""
        config = (self.keepalived if kind == "keepalived" else self.haproxy)[node]
        return self.raw.get(f"{config.file}#{node}-{kind}") or self.raw.get(config.file) or b""

    def findings(self) -> list[Finding]:
        found = list(self.missing)
        for keepalived in self.keepalived.values():
            found += keepalived.findings
        for haproxy in self.haproxy.values():
            found += haproxy.findings
        return found


def from_nodes(
    spec: LabSpec,
    read: Reader,
    lister: Lister | None = None,
    label: Callable[[str, str], str] = lambda node, path: f"{node}{path}",
) -> ConfigSet:
    """The lab's files by node: keepalived.conf and haproxy.cfg on each load balancer,
    index.html on each web node; `include`s read through the same reader."""
    configs = ConfigSet()
    for lb in spec.by_role("lb"):
        for path, kind in ((KEEPALIVED_CONF, "keepalived"), (HAPROXY_CFG, "haproxy")):
            data = read(lb.name, path)
            name = label(lb.name, path)
            if data is None:
                configs.missing.append(missing_config(kind, lb.name, path, name))
                continue
            configs.raw[name] = data
            if kind == "keepalived":
                configs.keepalived[lb.name] = parse_keepalived(
                    data, name, resolver(lb.name, read, lister, label)
                )
            else:
                configs.haproxy[lb.name] = parse_haproxy(data, name)
    for web in spec.by_role("web"):
        data = read(web.name, INDEX_HTML)
        name = label(web.name, INDEX_HTML)
        if data is None:
            configs.missing.append(missing_page(web.name, name))
        else:
            configs.pages[web.name] = decode(data[:MAX_FILE_BYTES])
            configs.page_files[web.name] = name
    return configs


def missing_config(kind: str, node: str, path: str, name: str) -> Finding:
    """A load balancer's keepalived.conf or haproxy.cfg not handed in (`name`: its label)."""
    return Finding(
        "KA-MISSING" if kind == "keepalived" else "HA-MISSING",
        "error",
        Msg("{name} is missing", name=name),
        name,
        None,
        Msg("{node} needs {path} for the lab", node=node, path=path),
        Msg("hand in {name}", name=name),
    )


def missing_page(node: str, name: str) -> Finding:
    """A web node's page not handed in (`name`: its label)."""
    return Finding(
        "WEB-PAGE-MISSING",
        "error",
        Msg("{name} is missing", name=name),
        name,
        None,
        Msg("each web node serves its own page, so that the answers show which one served"),
        Msg('echo "test {node}" > {index_html} on {node}', node=node, index_html=INDEX_HTML),
    )


def resolver(
    node: str, read: Reader, lister: Lister | None, label: Callable[[str, str], str]
) -> Callable[[str, str], list[tuple[str, str]] | None]:
    def resolve(pattern: str, including: str) -> list[tuple[str, str]] | None:
        # `including` is a label (node + path): take the node's path back out of it.
        prefix = label(node, "")
        inside = including[len(prefix) :] if including.startswith(prefix) else including
        wanted = include_candidates(pattern, inside if inside.startswith("/") else "/" + inside)
        paths = lister(node, wanted) if lister and any(c in wanted for c in "*?[") else [wanted]
        found = []
        for path in sorted(paths)[:64]:
            data = read(node, path)
            if data is not None:
                found.append((label(node, path), decode(data[:MAX_FILE_BYTES])))
        return found or None

    return resolve


def folder_reader(root: Path) -> tuple[Reader, Lister]:
    """Read `<root>/<node>/<path>`, never outside root: no `..`, no symlink (a submission's
    symlinks are not followed at all), regular files only, size-limited."""
    base = root.resolve()

    def where(node: str, path: str) -> Path | None:
        clean = posixpath.normpath("/" + path).lstrip("/")
        if ".." in clean.split("/") or "/" in node or node in ("", ".", ".."):
            return None
        candidate = base / node / clean
        probe = base
        for part in (node, *clean.split("/")):
            probe = probe / part
            if probe.is_symlink():
                return None
        return candidate

    def read(node: str, path: str) -> bytes | None:
        found = where(node, path)
        if found is None or not found.is_file():
            return None
        with found.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES)

    def lister(node: str, pattern: str) -> list[str]:
        folder = where(node, posixpath.dirname(pattern))
        if folder is None or not folder.is_dir():
            return []
        name = posixpath.basename(pattern)
        return [
            posixpath.join(posixpath.dirname(pattern), p.name)
            for p in folder.iterdir()
            if fnmatch.fnmatch(p.name, name) and not p.is_symlink()
        ]

    return read, lister


KEEPALIVED_BLOCKS = re.compile(
    r"^\s*(vrrp_instance|global_defs|vrrp_script|virtual_server|vrrp_sync_group)\b", re.M
)
HAPROXY_SECTIONS = re.compile(r"^\s*(global|defaults|frontend|backend|listen)\b", re.M)


def sniff(data: bytes) -> str | None:
    """keepalived or haproxy, from a file's content: its blocks' and sections' keywords at the
    start of a line (not in a comment); None when it has neither."""
    text = decode(data[:65536])
    keepalived = len(KEEPALIVED_BLOCKS.findall(text))
    haproxy = len(HAPROXY_SECTIONS.findall(text))
    if keepalived > haproxy:
        return "keepalived"
    if haproxy:
        return "haproxy"
    return None


def kind_of(path: Path, data: bytes) -> str | None:
    """A file's kind by its content, whatever its name (`haproxy1.conf` may be keepalived's);
    by its name only when its content says nothing (an empty file, a fragment)."""
    by_content = sniff(data)
    if by_content is not None:
        return by_content
    name = path.name.lower()
    if "keepalived" in name or "vrrp" in name:
        return "keepalived"
    return "haproxy" if "haproxy" in name else None


def from_files(paths: list[Path]) -> ConfigSet:
    """Files named on the command line, each labelled by its path; kind by content, then name.
    Two keepalived files are taken as the two load balancers, in the order given."""
    configs = ConfigSet()
    for path in paths:
        name = str(path)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES)
        except OSError as exc:
            configs.missing.append(
                Finding(
                    "FILE-UNREADABLE",
                    "error",
                    Msg("{name} cannot be read: {strerror}", name=name, strerror=exc.strerror),
                    name,
                )
            )
            continue
        kind = kind_of(path, data)
        configs.raw[name] = data
        if kind == "keepalived":
            configs.keepalived[name] = parse_keepalived(data, name, _file_resolver(path))
        elif kind == "haproxy":
            configs.haproxy[name] = parse_haproxy(data, name)
        else:
            configs.missing.append(
                Finding(
                    "FILE-UNKNOWN",
                    "error",
                    Msg("{name} is neither a keepalived nor an HAProxy config", name=name),
                    name,
                    None,
                    fix=Msg("name it keepalived.conf or haproxy.cfg"),
                )
            )
    return configs


def _file_resolver(path: Path) -> Callable[[str, str], list[tuple[str, str]] | None]:
    def resolve(pattern: str, including: str) -> list[tuple[str, str]] | None:
        base = Path(including).parent
        matches = (
            sorted(base.glob(pattern))
            if not Path(pattern).is_absolute()
            else sorted(Path(pattern).parent.glob(Path(pattern).name))
        )
        found = [
            (str(m), decode(m.read_bytes()[:MAX_FILE_BYTES])) for m in matches[:64] if m.is_file()
        ]
        return found or None

    return resolve
