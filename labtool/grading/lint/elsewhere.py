"""The codes whose findings lint's rule functions do not make: the parsers' (labtool.configs),
reading a lab's files (labtool.grading.submission.configset), the daemons' own checks
(daemons) and what keeps a submission from being run (refusals). Registered here so that the
registry knows every code a finding can carry."""

from __future__ import annotations

from labtool.grading.lint.registry import found_elsewhere

for code, severity, title in (
    ("KA-SYNTAX", "error", "keepalived.conf that does not parse"),
    ("KA-UNKNOWN", "warning", "a keyword keepalived does not know"),
    ("KA-INCLUDE", "error", "an include that cannot be read"),
    ("KA-MISSING", "error", "no keepalived.conf"),
    ("KA-DAEMON", "error", "what `keepalived -t` says"),
    ("HA-SYNTAX", "error", "haproxy.cfg that does not parse"),
    ("HA-REMOVED", "warning", "HAProxy 1.x syntax that 2.x refuses"),
    ("HA-PLACEHOLDER", "error", "a placeholder left in haproxy.cfg"),
    ("HA-DUP-SERVER", "error", "one server name used twice"),
    ("HA-MISSING", "error", "no haproxy.cfg"),
    ("HA-DAEMON", "error", "what `haproxy -c` says"),
    ("WEB-PAGE-MISSING", "error", "a web node without its page"),
    ("FILE-UNKNOWN", "error", "a file that is neither config"),
    ("FILE-UNREADABLE", "error", "a file that cannot be read"),
    ("RUN-REFUSED", "info", "what keeps a submission from being run"),
):
    found_elsewhere(code, severity=severity, title=title)  # type: ignore[arg-type]
