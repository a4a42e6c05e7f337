"""The answer sheet's keepalived answer: every number measured, or it says why not (no '?')."""

from __future__ import annotations

from typing import Any

from labtool.report.sheet import Sheet

THEORY = {
    "advert_int_s": 1.0,
    "vrrp_master_down_s": 3.61,
    "haproxy_inter_s": 2.0,
    "haproxy_fall": 3,
}


def result(adverts: int, interval: float | None) -> dict[str, Any]:
    return {
        "scenario": "split-brain",
        "theory": THEORY,
        "metrics": {
            "served_before": {"web1": 5, "web2": 5},
            "adverts": adverts,
            "advert_interval_s": interval,
        },
    }


def keepalived_answer(results: dict[str, dict[str, Any]], lang: str = "fr") -> str:
    return Sheet(results, lang, "10.0.0.10").answers()[1][1]


def test_the_interval_is_the_median_of_what_was_measured() -> None:
    answer = keepalived_answer({"a": result(12, 1.0), "b": result(8, 1.002), "c": result(3, 1.1)})
    assert "toutes les 1,00 s (mesuré sur 23 annonces)" in answer


def test_adverts_too_few_to_time_say_so_and_give_the_config_s() -> None:
    """Twelve adverts, none two from one source in a result: the configured interval, said."""
    answer = keepalived_answer({"a": result(12, None)})
    assert "?" not in answer
    assert (
        "toutes les 1,00 s (l'advert_int de sa configuration : moins de deux annonces "
        "d'une même source vues)"
    ) in answer
    english = keepalived_answer({"a": result(0, None)}, "en")
    assert "every 1.00 s (its config's advert_int: no advert seen, no scenario run)" in english
