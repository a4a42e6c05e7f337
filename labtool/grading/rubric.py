"""The points rubric (TOML): criteria, their points and how each is judged. A default ships
(default_rubric.toml, 20 points); a broken rubric file is one clear error."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtool.errors import LabFileError

DEFAULT_RUBRIC = Path(__file__).with_name("default_rubric.toml")
KINDS = ("lint", "row", "answer", "scenario")


@dataclass(frozen=True)
class Criterion:
    id: str
    title: dict[str, str]
    kind: str
    points: float
    rules: tuple[str, ...] = ()
    per_finding: float | None = None
    row: str | None = None
    question: int | None = None
    ideas: tuple[tuple[str, ...], ...] = ()
    scenario: str | None = None

    def name(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.id


@dataclass(frozen=True)
class Rubric:
    total: float
    criteria: tuple[Criterion, ...] = field(default_factory=tuple)
    source: str = str(DEFAULT_RUBRIC)

    def applicable(self, live: bool) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if live or c.kind != "scenario")


def load_rubric(path: Path | None = None) -> Rubric:
    where = path or DEFAULT_RUBRIC
    try:
        data = tomllib.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LabFileError(f"cannot read the rubric {where}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LabFileError(f"the rubric {where} is not valid TOML: {exc}") from None
    return parse_rubric(data, str(where))


def parse_rubric(data: dict[str, Any], source: str) -> Rubric:
    def fail(message: str) -> LabFileError:
        return LabFileError(f"rubric {source}: {message}")

    unknown = set(data) - {"total", "criterion"}
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(unknown))} (known: total, criterion)")
    total = data.get("total", 20)
    if not isinstance(total, int | float) or isinstance(total, bool) or total <= 0:
        raise fail("'total' must be a positive number")
    raw = data.get("criterion", [])
    if not isinstance(raw, list) or not raw:
        raise fail("no [[criterion]]")
    criteria = []
    seen: set[str] = set()
    for index, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise fail(f"criterion {index} is not a table")
        known = {"id", "title", "kind", "points", "rules", "per_finding", "row", "question",
                 "ideas", "scenario"}
        if extra := set(item) - known:
            raise fail(f"criterion {index}: unknown key(s) {', '.join(sorted(extra))}")
        cid = item.get("id")
        if not isinstance(cid, str) or not cid or cid in seen:
            raise fail(f"criterion {index}: 'id' must be a unique, non-empty string")
        seen.add(cid)
        kind = item.get("kind")
        if kind not in KINDS:
            raise fail(f"criterion {cid}: 'kind' must be one of {', '.join(KINDS)}")
        points = item.get("points")
        if not isinstance(points, int | float) or isinstance(points, bool) or points <= 0:
            raise fail(f"criterion {cid}: 'points' must be a positive number")
        title = item.get("title", {})
        if isinstance(title, str):
            title = {"fr": title, "en": title}
        if not isinstance(title, dict) or not all(isinstance(v, str) for v in title.values()):
            raise fail(f"criterion {cid}: 'title' must be a string or {{ fr = ..., en = ... }}")
        rules = item.get("rules", [])
        ideas = item.get("ideas", [])
        if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
            raise fail(f"criterion {cid}: 'rules' must be a list of rule ids")
        if not isinstance(ideas, list) or not all(
                isinstance(g, list) and g and all(isinstance(w, str) for w in g) for g in ideas):
            raise fail(f"criterion {cid}: 'ideas' must be a list of lists of words")
        per = item.get("per_finding")
        if per is not None and (not isinstance(per, int | float) or per <= 0):
            raise fail(f"criterion {cid}: 'per_finding' must be a positive number")
        if kind == "lint" and not rules:
            raise fail(f"criterion {cid}: a lint criterion needs 'rules'")
        if kind == "row" and item.get("row") not in ("web", "haproxy"):
            raise fail(f"criterion {cid}: 'row' must be \"web\" or \"haproxy\"")
        if kind == "answer" and item.get("question") not in (1, 2, 3):
            raise fail(f"criterion {cid}: 'question' must be 1, 2 or 3")
        if kind == "answer" and not ideas:
            raise fail(f"criterion {cid}: an answer criterion needs 'ideas'")
        if kind == "scenario" and not isinstance(item.get("scenario"), str):
            raise fail(f"criterion {cid}: 'scenario' must name a scenario")
        criteria.append(Criterion(
            cid, dict(title), kind, float(points), tuple(rules),
            float(per) if per is not None else None, item.get("row"), item.get("question"),
            tuple(tuple(g) for g in ideas), item.get("scenario")))
    return Rubric(float(total), tuple(criteria), source)
