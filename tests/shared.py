"""Where the workplace's shared material is (the seed, the corpus of real configs): `../shared`
beside the project, as the brief says; $LABTOOL_SHARED or /work/shared for a clone elsewhere."""

from __future__ import annotations

import os
from pathlib import Path


def shared_dir() -> Path:
    candidates = [Path(__file__).parents[1].parent / "shared", Path("/work/shared")]
    if os.environ.get("LABTOOL_SHARED"):
        candidates.insert(0, Path(os.environ["LABTOOL_SHARED"]))
    return next((c for c in candidates if (c / "corpus").is_dir()), candidates[0])


SHARED = shared_dir()
