"""A roster a user gives (a CSV from Moodle, Canvas or a spreadsheet): read whole, with
or without a byte-order mark, its delimiter guessed among `,`, `;` and tab (French
spreadsheets write `;`); one clear message when it cannot be read."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from labtool.errors import LabFileError
from labtool.i18n import Msg

MAX_CSV_BYTES = 8 * 1024 * 1024


def read_rows(path: Path) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Its rows (header -> cell) and its header's names, lower case and stripped -> as
    written."""
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise LabFileError(Msg("the roster {path} is larger than 8 MiB", path=path))
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabFileError(
            Msg("cannot read the roster {path}: {exc}", path=path, exc=exc)
        ) from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text.splitlines()[0] if text else ",", ",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.DictReader(io.StringIO(text), dialect=dialect))
    except csv.Error as exc:
        raise LabFileError(Msg("the roster {path} is no CSV: {exc}", path=path, exc=exc)) from None
    fields = {f.strip().lower(): f for f in (rows[0].keys() if rows else []) if f is not None}
    clean = [  # (cells past the header's end are left out; missing ones are "")
        {k: v.strip() if isinstance(v, str) else "" for k, v in row.items() if k is not None}
        for row in rows
    ]
    return clean, fields
