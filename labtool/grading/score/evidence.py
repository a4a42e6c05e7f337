"""No evidence, no points: a lint criterion about one daemon's config scores nothing when the
submission holds no config of that daemon worth the name (none, a binary file, or none of the
blocks that make it one). Its rules then find little to object to, and would leave it its
points: junk must not score."""

from __future__ import annotations

from labtool.grading.score.model import Lost
from labtool.grading.score.rubric import Criterion
from labtool.grading.submission.configset import ConfigSet
from labtool.i18n import translation


def missing_evidence(configs: ConfigSet, lang: str) -> dict[str, str]:
    """A rule prefix (KA, HA) -> why the submission has nothing of that daemon to grade."""
    _ = translation(lang)
    missing = {}
    if not any(config.instances() for config in configs.keepalived.values()):
        missing["KA"] = _("no keepalived config with a vrrp_instance")
    if not any(
        config.frontends() or config.backends() or config.of_kind("listen")
        for config in configs.haproxy.values()
    ):
        missing["HA"] = _("no HAProxy config with a frontend, a backend or a listen section")
    return missing


def no_evidence(criterion: Criterion, missing: dict[str, str], lang: str) -> list[Lost]:
    """Its whole points lost, with the reason, when every daemon its rules are about has
    nothing to grade; [] otherwise (its rules decide)."""
    subjects = {rule.split("-", 1)[0] for rule in criterion.rules}
    if not subjects or not subjects <= set(missing):
        return []
    _ = translation(lang)
    why = "; ".join(missing[subject] for subject in sorted(subjects))
    return [
        Lost(criterion.id, "error", _("nothing to grade: {why}").format(why=why), criterion.points)
    ]
