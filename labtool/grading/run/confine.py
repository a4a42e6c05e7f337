"""A submission's configs as `labtool grade --run` runs them: its scripts confined, and the
changes this machine's daemons need, each said. Pure text in, text out.

- keepalived runs every track and notify script as the unprivileged `haproxy` user
  (`script_user`, `enable_script_security`), whatever the submission set: the user HAProxy
  runs as, so that the lab's `killall -0 haproxy` may still signal it (as any other user it
  would get EPERM and fail);
- with script security on, keepalived 2.2 runs a script only when named by its full path:
  `killall -0 haproxy` becomes `/usr/bin/killall -0 haproxy`, found on this machine;
- HAProxy runs as that user (`user haproxy`, `group haproxy`), added where the global section
  has none or says root.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

SCRIPT_USER = "haproxy"
_SCRIPT_LINE = re.compile(r'^(\s*(?:script|notify\w*)\s+)(["\']?)(\S+)(.*)$')
_OWN_SECURITY = re.compile(r"^\s*(script_user|enable_script_security)\b.*$", re.M)
_GLOBAL = re.compile(r"^\s*global\s*(#.*)?$")
_SECTION = re.compile(r"^\s*(defaults|frontend|backend|listen|peers|resolvers|userlist|program)\b")
_USER = re.compile(r"^(\s*)(user|uid|group|gid)\s+(\S+)")

Which = Callable[[str], "str | None"]


def confine_keepalived(text: str, which: Which = shutil.which) -> tuple[str, list[str]]:
    """keepalived.conf with its scripts run confined; what changed, in words."""
    said: list[str] = []
    if _OWN_SECURITY.search(text):
        said.append(
            "its own script_user/enable_script_security lines replaced: scripts run as "
            f"'{SCRIPT_USER}'"
        )
    text = _OWN_SECURITY.sub(lambda m: "# (labtool grade --run) " + m[0].strip(), text)
    lines = []
    for line in text.splitlines():
        match = _SCRIPT_LINE.match(line)
        if match and "/" not in match[3] and not match[3].startswith("#"):
            found = which(match[3].strip("\"'"))
            if found:
                line = f"{match[1]}{match[2]}{found}{match[4]}"
                said.append(
                    f"'{match[3]}' run as {found}: with script security, keepalived runs a "
                    "script only by its full path"
                )
        lines.append(line)
    header = (
        "# labtool grade --run: the submission's scripts run unprivileged\n"
        f"global_defs {{\n    script_user {SCRIPT_USER}\n    enable_script_security\n}}\n\n"
    )
    return header + "\n".join(lines) + "\n", sorted(set(said))


def run_as_user(text: str) -> tuple[str, list[str]]:
    """haproxy.cfg with HAProxy running as the scripts' user (its track script may then see
    it); what changed."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _GLOBAL.match(line)), None)
    if start is None:
        lines = ["global", f"    user {SCRIPT_USER}", f"    group {SCRIPT_USER}", *lines]
        return "\n".join(lines) + "\n", [f"a global section added: HAProxy runs as '{SCRIPT_USER}'"]
    end = next((i for i in range(start + 1, len(lines)) if _SECTION.match(lines[i])), len(lines))
    said: list[str] = []
    seen = set()
    for i in range(start + 1, end):
        match = _USER.match(lines[i])
        if not match:
            continue
        seen.add(match[2][0])  # u or g
        if match[3] in ("root", "0"):
            lines[i] = f"{match[1]}{match[2]} {SCRIPT_USER}"
            said.append(f"'{match[2]} {match[3]}' changed to '{SCRIPT_USER}'")
    added = [
        f"    {k} {SCRIPT_USER}" for k, key in (("user", "u"), ("group", "g")) if key not in seen
    ]
    if added:
        lines[start + 1 : start + 1] = added
        said.append(
            f"'{' and '.join(a.split()[0] for a in added)} {SCRIPT_USER}' added: HAProxy "
            "runs unprivileged, as the scripts that watch it"
        )
    return "\n".join(lines) + "\n", said


def with_stats_socket(text: str, path: str) -> str:
    """haproxy.cfg with HAProxy's stats socket at `path` (the lab's own, which CentOS 7's
    default haproxy.cfg has): where the scenario probes read HAProxy's view of its servers,
    as on the lab's own cluster. It changes nothing HAProxy does, so it is not said. A
    global section is there (run_as_user makes one)."""
    if re.search(rf"^\s*stats\s+socket\s+{re.escape(path)}(\s|$)", text, re.M):
        return text
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _GLOBAL.match(line)), None)
    if start is None:
        lines = ["global", *lines]
        start = 0
    lines.insert(start + 1, f"    stats socket {path}  # labtool grade --run: its probes")
    return "\n".join(lines) + "\n"


def without_lvs_sync(text: str) -> tuple[str, bool]:
    """keepalived.conf without `lvs_sync_daemon_interface` (keepalived 2.x without IPVS
    refuses to start with it); whether it had one."""
    pattern = re.compile(r"^(\s*)(lvs_sync_daemon_interface\b.*)$", re.M)
    return pattern.sub(r"\1# (labtool) \2", text), bool(pattern.search(text))
