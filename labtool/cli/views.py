"""How the CLI shows results: tables and summary lines on stdout (the commands stay thin)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from labtool.cli.console import out
from labtool.i18n import N_, in_lang, plural, translation

if TYPE_CHECKING:
    from labtool.configs.common import Finding
    from labtool.doctor import Check
    from labtool.provision.lab import LabStatus, UpReport
    from labtool.provision.power import PowerReport
    from labtool.scenarios.engine import ScenarioResult
    from labtool.scenarios.tp import TpRun
    from labtool.spec.model import LabSpec
    from labtool.steps.run import CheckReport

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
SEVERITY = {"error": N_("error"), "warning": N_("warning"), "info": N_("info")}


def up(spec: LabSpec, report: UpReport, bare: bool) -> None:
    if report.repaired:
        out.print(
            f"lab '{spec.name}' was up but not whole; repaired (no file changed): "
            + "; ".join(report.repaired)
        )
        return
    if report.already_up:
        out.print(f"lab '{spec.name}' is already up; nothing changed.")
        return
    if bare:
        out.print(
            f"lab '{spec.name}' is up, bare, in {report.nodes_s:.2f} s: packages and "
            "default configs only, no daemon started. Start with "
            f"'labtool shell {spec.by_role('lb')[0].name}'."
        )
        return
    out.print(f"nodes up, daemons running: {report.nodes_s:.2f} s")
    if report.vip_s is not None:
        out.print(
            f"http://{spec.vip}/ answers from {spec.client.name}: "
            f'"{report.first_answer}" (VIP on {report.vip_holder or "?"}) after '
            f"{report.vip_s:.2f} s"
        )
    out.print(
        f"lab '{spec.name}' is up. Try: labtool status, labtool shell "
        f"{spec.by_role('web')[0].name}, labtool down"
    )


def steps(report: CheckReport, lang: str, as_json: bool, clear: bool) -> None:
    """`labtool check`: a line per step, what is missing and the hint under each not done."""
    if as_json:
        out.print_json(json.dumps(report.as_json()))
        return
    if clear:
        out.clear()
    for step in report.steps:
        mark = f"[green]{escape('[x]')}[/]" if step.ok else f"[red]{escape('[ ]')}[/]"
        out.print(f"{mark} {escape(step.title)}", markup=True)
        if not step.ok:
            for missing in step.missing:
                out.print(f"      - {escape(missing)}", markup=False)
            out.print(f"      {'->'} {escape(step.hint)}", markup=False)
    done = translation(lang)("{done}/{total} steps done (lab '{lab}')")
    out.print(done.format(done=report.done, total=len(report.steps), lab=report.lab))


def power(report: PowerReport, up: bool) -> None:
    """What `labtool halt NODE` or `labtool up NODE` did."""
    if up:
        started = ", ".join(report.started) or "no enabled daemon"
        out.print(
            f"{report.node} {'was already up' if report.was_up else 'is up'}: started "
            f"{started} ({report.seconds:.2f} s)"
        )
        if report.failed:
            out.print(
                f"{report.node}: {', '.join(report.failed)} would not start. Look with "
                f"'labtool exec {report.node} -- systemctl status {report.failed[0]}'"
            )
        return
    if not report.was_up:
        out.print(f"{report.node} was already off.")
        return
    stopped = ", ".join(report.stopped) or "nothing running"
    how = f"stopped {stopped}, then powered off" if report.stopped else "powered off"
    out.print(
        f"{report.node} halted ({how}) in {report.seconds:.2f} s. Back: labtool up {report.node}"
    )


def status(result: LabStatus, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(result.as_dict()))
        return
    table = Table(title=f"lab '{result.name}' ({result.backend}, {result.phase})")
    for column in ("node", "role", "address", "state", "daemons", "VIP"):
        table.add_column(column)
    for node in result.nodes:
        daemons = (
            ", ".join(f"{d} {'running' if ok else 'stopped'}" for d, ok in node.daemons.items())
            or "-"
        )
        table.add_row(
            node.name,
            node.role,
            node.address,
            {"up": "up", "halted": "halted", "down": "DOWN"}[result.state_of(node)],
            daemons,
            "holds " + result.vip if result.vip in node.addresses else "",
        )
    out.print(table)
    holders = result.vip_holders
    out.print(
        f"VIP {result.vip}: "
        + (", ".join(holders) if holders else "nobody")
        + (" (duplicate!)" if len(holders) > 1 else "")
        + f"; memory of all lab processes: {result.memory_kib / 1024:.1f} MiB"
    )
    if result.split_brain_cause:
        out.print(f"the VIP on two nodes; this machine: {result.split_brain_cause}")


def checks(found: list[Check], backend: str) -> bool:
    """doctor's checks, then one install line and each other fix; whether all passed."""
    for check in found:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        out.print(f"{mark} {escape(check.name)}: {escape(check.detail)}", markup=True)
    missing = [c for c in found if not c.ok]
    fixes = sorted(
        {
            c.fix
            for c in missing
            if c.fix.startswith("apt-get install -y ") and "--no-install-recommends" not in c.fix
        }
    )
    packages = " ".join(f.removeprefix("apt-get install -y ") for f in fixes)
    if packages:
        out.print(f"\nto install what is missing: apt-get update && apt-get install -y {packages}")
    for check in missing:
        if check.fix and check.fix not in fixes:
            out.print(f"fix for {check.name}: {check.fix}")
    if not missing:
        out.print(f"\nthis machine can run the lab on {backend}.")
    return not missing


def scenario_result(result: ScenarioResult, lang: str = "fr") -> None:
    """The checks, then what was measured, in the student's words (scenarios/words.py)."""
    from labtool.scenarios import words

    _ = translation(lang)
    title = result.title.get(lang) or result.title["en"]
    table = Table(title=f"{result.scenario}: {title} - {words.verdict(result.verdict, lang)}")
    for column in (_("fact"), _("expected"), _("observed"), ""):
        table.add_column(column)
    for check in result.checks:
        observed = words.value_text(check.fact, check.observed, lang)
        table.add_row(
            words.fact_name(check.fact, lang),
            words.expected_text(check, lang),
            observed + (f" ({check.why})" if check.why else ""),
            Text("ok", style="green") if check.ok else Text(_("NO"), style="red"),
        )
    out.print(table)
    f = result.facts

    def v(fact: str, value: object) -> str:
        return words.value_text(fact, value, lang)

    lines = [
        _("  outage seen by the client {outage}; VIP {before} -> {after}").format(
            outage=v("outage_s", f.outage_s),
            before=v("x", f.vip_holder_before),
            after=v("x", f.vip_holder_after),
        ),
        _(
            "  VIP takeover {takeover} (address {address}, VRRP advert {advert}, gratuitous "
            "ARP {arp})"
        ).format(
            takeover=v("takeover_s", f.takeover_s),
            address=v("vip_takeover_s", f.vip_takeover_s),
            advert=v("x_s", f.advert_takeover_s),
            arp=v("x_s", f.arp_takeover_s),
        ),
        _("  {n} requests, {failed} failed, {slow} slow; served after the fault: {served}").format(
            n=f.requests,
            failed=f.failed_requests,
            slow=f.slow_requests,
            served=v("served_after", f.served_after),
        ),
    ]
    for line in lines:  # (short lines: a terminal cuts a long one mid-word)
        out.print(line, markup=False, highlight=False)
    for note in result.notes:
        out.print(f"  [yellow]note:[/] {escape(note)}", markup=True)


def scenario_json(results: list[ScenarioResult]) -> None:
    payload = [r.as_json() for r in results]
    out.print_json(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False))


def tp(run: TpRun) -> None:
    out.print(f"report: {run.report}" + "".join(f" (figure: {figure})" for figure in run.figures))
    out.print(
        f"tp: {run.total_s:.1f} s in all, {run.waits_s:.1f} s of waits the protocols impose; "
        f"labtool's own overhead {run.overhead_s:.1f} s "
        f"({100 * run.overhead_s / run.total_s:.0f} %). "
        f"The lab stays up: labtool down --name {run.spec.name} when done."
    )


def findings(results: list[tuple[str, list[Finding]]], as_json: bool, lang: str = "en") -> None:
    results = [(title, [f.in_lang(lang) for f in found]) for title, found in results]
    if as_json:
        payload = [
            {"source": title, "findings": [f.as_dict() for f in found]} for title, found in results
        ]
        out.print_json(json.dumps(payload, ensure_ascii=False))
        return
    _, ngettext = translation(lang), plural(lang)
    why, fix_label = _("why:"), _("fix:")
    for title, found in results:
        counts = {s: sum(1 for f in found if f.severity == s) for s in STYLE}
        told = [
            ngettext("{n} error", "{n} errors", counts["error"]),
            ngettext("{n} warning", "{n} warnings", counts["warning"]),
            ngettext("{n} note", "{n} notes", counts["info"]),
        ]
        tally = ", ".join(text.format(n=n) for text, n in zip(told, counts.values(), strict=True))
        line = _("{title}: {tally}").format(title=in_lang(title, lang), tally=tally)
        out.print(f"[bold]{escape(line)}[/]", markup=True)
        for finding in found:
            style = STYLE.get(finding.severity, "")
            out.print(
                f"{escape(finding.where())}: [{style}]{_(SEVERITY[finding.severity])}[/] "
                f"[dim]{finding.rule}[/] {escape(finding.message)}",
                markup=True,
            )
            if finding.explanation:
                out.print(f"    {why} {escape(finding.explanation)}", markup=True)
            if finding.fix:
                fix = finding.fix.replace("\n", "\n         ")
                out.print(f"    {fix_label} {escape(fix)}", markup=True)


def grades(found: list[Any], lang: str) -> None:
    _, ngettext = translation(lang), plural(lang)
    title = ngettext("{n} submission", "{n} submissions", len(found)).format(n=len(found))
    submission, score, grade, lost = (
        _("submission"),
        _("score"),
        _("grade"),
        _("lost points (first reasons)"),
    )
    table = Table(title=title)
    for column in (submission, score, f"/{found[0].total:g}" if found else grade, lost):
        table.add_column(column)
    for one in found:
        reasons = [f"{r.criterion}: {r.message}" for r in one.findings if r.points_lost]
        table.add_row(
            one.submission,
            f"{one.score:g}/{one.max:g}",
            f"{one.grade:g}",
            one.error or "; ".join(reasons[:3]) + (" ..." if len(reasons) > 3 else ""),
        )
    out.print(table)


def rules(as_json: bool) -> None:
    """Every lint rule (the registry): its code, usual severity, what it catches, and where
    its findings come from."""
    from labtool.grading.lint import RULES

    listed = [
        {
            "rule": r.code,
            "severity": r.severity,
            "title": r.title,
            "found_by": r.subject or "a parser or a daemon's check",
        }
        for r in sorted(RULES.values(), key=lambda r: r.code)
    ]
    if as_json:
        out.print_json(json.dumps(listed))
        return
    for r in listed:
        out.print(f"{r['rule']:<22} {r['severity']:<8} {r['title']}", markup=False)
