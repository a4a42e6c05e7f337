"""Where the workplace's shared material is (the seed, the corpus of real configs): `../shared`
beside the project, as the brief says; $LABTOOL_SHARED or /work/shared for a clone elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def shared_dir() -> Path:
    candidates = [Path(__file__).parents[1].parent / "shared", Path("/work/shared")]
    if os.environ.get("LABTOOL_SHARED"):
        candidates.insert(0, Path(os.environ["LABTOOL_SHARED"]))
    return next((c for c in candidates if (c / "corpus").is_dir()), candidates[0])


SHARED = shared_dir()


def needs(*binaries: str) -> pytest.MarkDecorator:
    """Skip where a binary is missing, except under CI=true: setup.sh installs every one of
    them there, so a missing one fails the test instead of hiding it. Looks in sbin too."""
    from labtool.runner import which

    missing = [b for b in binaries if which(b) is None]
    return pytest.mark.skipif(
        bool(missing) and not os.environ.get("CI"),
        reason=f"{', '.join(missing)} not installed (setup.sh installs it)",
    )
