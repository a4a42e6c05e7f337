"""Sign-in codes: short enough to type from a sheet of paper, long enough not to be guessed
(about 2^39, and sign-in attempts are slowed down), stored only as a keyed hash (HMAC-SHA256
with the server's own secret, kept beside its database, readable by its owner alone): one
look finds a code's student, and the database alone gives no code back."""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no I, L, O, U, 0, 1: nothing read for another
GROUPS, GROUP_LEN = 2, 4  # "7KQM-X3RD": 30^8 codes
SECRET_BYTES = 32


def new_code() -> str:
    return "-".join(
        "".join(secrets.choice(ALPHABET) for _ in range(GROUP_LEN)) for _ in range(GROUPS)
    )


def normalised(code: str) -> str:
    """As typed: any case, with spaces, a dash or none."""
    return "".join(c for c in code.upper() if c in ALPHABET)


def key_of(code: str, secret: bytes) -> bytes:
    """What the database keeps of a code."""
    return keyed(normalised(code), secret)


def keyed(text: str, secret: bytes) -> bytes:
    """What the database keeps of a secret text, as it is (a link's key)."""
    return hmac.new(secret, text.encode(), hashlib.sha256).digest()
