"""Lint rules for keepalived's track scripts, in each keepalived.conf: each defined one tracked,
each tracked one defined, with a command and its full path, run with script security; and the
weight each tracked script applies (the pair's KA-WEIGHT-GAP reads it)."""

from __future__ import annotations

from collections.abc import Iterator

from labtool.configs.keepalived_model import KeepalivedConfig, Statement
from labtool.grading.lint.registry import Say, rule
from labtool.i18n import Msg


def _tracked(instance: Statement) -> list[tuple[str, Statement, int | None]]:
    """The scripts an instance tracks: name, the track_script line, its own weight if set."""
    found = []
    for track in instance.all("track_script"):
        for child in track.children or []:
            weight = None
            if "weight" in child.args[:-1]:
                try:
                    weight = int(child.args[child.args.index("weight") + 1])
                except ValueError:
                    weight = None
            found.append((child.keyword, child, weight))
        found += [(a, track, None) for a in track.args if a not in ("{", "}")]
    return found


@rule(
    "KA-SCRIPT-UNUSED",
    subject="keepalived",
    severity="warning",
    title="a vrrp_script no instance tracks",
)
def script_unused(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Say]:
    used = {name for instance in instances for name, _, _ in _tracked(instance)}
    for name, script in config.scripts().items():
        if name not in used:
            yield Say(
                message=Msg("vrrp_script {name} is defined but no track_script uses it", name=name),
                where=script,
                why=Msg("keepalived runs nothing for it: losing HAProxy will not move the VIP"),
                fix=Msg("track_script {{ {name} }} in the vrrp_instance", name=name),
            )


@rule(
    "KA-TRACK-UNDEFINED",
    subject="keepalived",
    severity="error",
    title="a track_script no vrrp_script defines",
)
def track_undefined(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Say]:
    scripts = config.scripts()
    for name, track in {n: t for i in instances for n, t, _ in _tracked(i)}.items():
        if name not in scripts:
            yield Say(
                message=Msg("track_script names '{name}', which no vrrp_script defines", name=name),
                where=track,
                why=Msg("keepalived ignores it: losing HAProxy will not move the VIP"),
                fix=Msg(
                    "define vrrp_script {name} {{ ... }} or fix the name ({scripts})",
                    name=name,
                    scripts=", ".join(sorted(scripts)) or "none defined",
                ),
            )


@rule("KA-SCRIPT", subject="keepalived", severity="error", title="a vrrp_script without script")
def script_missing(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Say]:
    for name, script in config.scripts().items():
        line = script.first("script")
        if line is None or not line.args:
            yield Say(message=Msg("vrrp_script {name} has no 'script'", name=name), where=script)


@rule(
    "KA-SCRIPT-PATH",
    subject="keepalived",
    severity="warning",
    title="a script's command without its full path",
)
def script_path(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Say]:
    for name, script in config.scripts().items():
        line = script.first("script")
        command = line.args[0].split() if line is not None and line.args else []
        if command and not command[0].startswith("/"):
            yield Say(
                message=Msg(
                    "vrrp_script {name}: '{command}' has no full path",
                    name=name,
                    command=command[0],
                ),
                where=line,
                why=Msg(
                    "keepalived looks it up in its own PATH, and with script security on it wants"
                    " full paths"
                ),
                fix=Msg('script "/usr/bin/{command}"', command=" ".join(command)),
            )


@rule(
    "KA-SCRIPT-SECURITY",
    subject="keepalived",
    severity="info",
    title="scripts without enable_script_security",
)
def script_security(config: KeepalivedConfig, instances: list[Statement]) -> Iterator[Say]:
    scripts = config.scripts()
    if scripts and not config.has_global("enable_script_security"):
        yield Say(
            message=Msg("scripts run as root without enable_script_security"),
            where=next(iter(scripts.values())),
            why=Msg("keepalived warns 'SECURITY VIOLATION' at start-up"),
            fix=Msg("global_defs {{ enable_script_security\n script_user root }}"),
        )


def weights(config: KeepalivedConfig, instance: Statement) -> dict[str, int]:
    """The weight each tracked script applies (0: its failure puts the instance in FAULT)."""
    scripts = config.scripts()
    found = {}
    for name, _, own in _tracked(instance):
        if name in scripts:
            found[name] = own if own is not None else (_signed(scripts[name].value("weight")) or 0)
    return found


def _signed(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
