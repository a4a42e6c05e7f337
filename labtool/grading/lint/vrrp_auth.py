"""Lint rules on a VRRP instance's authentication: AH, which VRRPv3 dropped, and a password
longer than keepalived keeps."""

from __future__ import annotations

from collections.abc import Iterator

from labtool.configs.keepalived_model import Statement
from labtool.grading.lint.registry import Say, rule
from labtool.grading.lint.vrrp import InstanceAt
from labtool.i18n import Msg


@rule("KA-AUTH-AH", subject="instance", severity="warning", title="auth_type AH")
def auth_ah(instance: Statement, at: InstanceAt) -> Iterator[Say]:
    auth = instance.first("authentication")
    if auth is not None and auth.value("auth_type") == "AH":
        yield Say(
            message=Msg("auth_type AH"),
            where=auth.first("auth_type"),
            why=Msg(
                "keepalived's AH authentication is deprecated and not in VRRPv3; peers that "
                "disagree on it, or a NAT between them, drop each other's adverts (both MASTER)"
            ),
            fix=Msg("remove the authentication block"),
        )


@rule(
    "KA-AUTH-PASS",
    subject="instance",
    severity="warning",
    title="auth_type PASS: the password in clear text",
)
def auth_pass(instance: Statement, at: InstanceAt) -> Iterator[Say]:
    auth = instance.first("authentication")
    if auth is None or auth.value("auth_type") != "PASS":
        return
    yield Say(
        message=Msg("auth_type PASS sends the password in clear text"),
        where=auth.first("auth_type"),
        file=at.file,
        why=Msg(
            "anyone on the LAN reads it in the adverts, and VRRPv3 ignores authentication "
            "altogether"
        ),
        fix=Msg("remove the authentication block (or use a separate, trusted network)"),
    )
    password = auth.value("auth_pass") or ""
    if len(password) > 8:
        yield Say(
            message=Msg(
                "auth_pass '{password}' is longer than 8 characters: keepalived keeps only the "
                "first 8",
                password=password,
            ),
            where=auth.first("auth_pass"),
            file=at.file,
            severity="info",
            fix=Msg("use at most 8 characters"),
        )
