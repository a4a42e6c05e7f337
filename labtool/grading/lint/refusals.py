"""What in a submission keeps it from being run (`labtool grade --run`, issue 12), read from its
configs without running anything: HAProxy's Lua (`lua-load`, `lua-load-per-thread`,
`lua-prepend-path`), its `external-check` and its `program` sections (each runs code of the
submission's as HAProxy's user), and a keepalived `include` of a file the submission does not
hold (keepalived would read the grader's file of that name). A refused submission's behaviour
is not graded; its static grade stands. keepalived's own scripts (track and notify scripts) are
not refused here: a run executes them confined, as an unprivileged user inside the node.
"""

from __future__ import annotations

from labtool.configs.common import Finding
from labtool.grading.submission.configset import ConfigSet
from labtool.i18n import Msg

LUA = ("lua-load", "lua-load-per-thread", "lua-prepend-path")
WHY = Msg("labtool runs no code a submission brings; its static grade stands")


def refusals(configs: ConfigSet) -> list[Finding]:
    """One finding per thing that keeps the submission from being run (none: it can run)."""
    found: list[Finding] = []
    for haproxy in configs.haproxy.values():
        for section in haproxy.sections:
            if section.kind == "program":
                found.append(
                    _refused(
                        Msg(
                            "'program {name}': HAProxy would start that program", name=section.name
                        ),
                        section.file,
                        section.line,
                    )
                )
            for line in section.lines:
                if line.keyword in LUA:
                    found.append(
                        _refused(
                            Msg(
                                "'{keyword}': HAProxy would run the submission's Lua",
                                keyword=line.keyword,
                            ),
                            line.file,
                            line.line,
                        )
                    )
                elif "external-check" in line.words:
                    found.append(
                        _refused(
                            Msg(
                                "'{line}': HAProxy would run a health-check program",
                                line=" ".join(line.words),
                            ),
                            line.file,
                            line.line,
                        )
                    )
    for keepalived in configs.keepalived.values():
        for finding in keepalived.findings:
            if finding.rule == "KA-INCLUDE" and "no such file here" in finding.message:
                include = finding.message.split(":", 1)[0]
                found.append(
                    _refused(
                        Msg(
                            "'{include}' names a file the submission does not hold: keepalived "
                            "would read the grader's",
                            include=include,
                        ),
                        finding.file,
                        finding.line,
                    )
                )
    unique = {(f.file, f.line, f.message): f for f in found}  # (a file shared by two nodes)
    return list(unique.values())


def _refused(message: Msg, file: str, line: int | None) -> Finding:
    return Finding("RUN-REFUSED", "info", message, file, line, WHY, "")
