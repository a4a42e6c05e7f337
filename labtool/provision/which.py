"""Which lab a command means: the user's own (root's labs and each user's are apart), and whose
a lab of that name is when it is not the user's."""

from __future__ import annotations

import os

from labtool.backends import BACKENDS, backend_class
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.spec.model import DEFAULT_LAB_NAME
from labtool.state import ROOT_STATE_ROOT, known_labs


def resolve_name(name: str | None) -> str:
    """--name, else $LABTOOL_NAME, else the only lab on this machine, else the default."""
    if name:
        return name
    if os.environ.get("LABTOOL_NAME"):
        return os.environ["LABTOOL_NAME"]
    running: set[str] = set()
    for backend in BACKENDS:
        running |= backend_class(backend).running_labs()
    labs = sorted(set(known_labs()) | running)
    if len(labs) > 1:
        raise LabtoolError(
            Msg(
                "several labs are on this machine ({join}). Fix: say which with --name NAME",
                join=", ".join(labs),
            )
        )
    return labs[0] if labs else DEFAULT_LAB_NAME


def leftovers(name: str) -> bool:
    return any(backend_class(b).leftovers(name) for b in BACKENDS)


def someone_elses(name: str) -> str | None:
    """Whose lab `name` is, if not this user's: root's labs and each user's are apart."""
    if os.name != "posix":
        return None
    if os.geteuid() != 0 and (ROOT_STATE_ROOT / name).is_dir():
        return (
            f"lab '{name}' is root's, not yours: root's labs and yours are apart. Fix: sudo "
            f"labtool ... --name {name} for root's, or labtool up --name {name} for one of yours"
        )
    if os.geteuid() == 0:
        owners = sorted({o for b in BACKENDS for o in backend_class(b).other_owners(name)})
        if owners:
            from labtool.ids import user_name

            who = ", ".join(user_name(o) for o in owners)
            return (
                f"lab '{name}' is {who}'s, not root's: each user's labs are apart. Fix: run "
                f"labtool as {who} (e.g. sudo -u {who} labtool ... --name {name})"
            )
    return None
