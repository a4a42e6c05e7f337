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


def test_the_scenarios_checks_are_in_the_reader_s_words() -> None:
    """The report's scenario tables say what the terminal says: each fact by its meaning, its
    bounds with two decimals (no field name, no `>= 2.5094 and <= 4.0094`, no JSON)."""
    from labtool.report.pages import html_page, markdown

    outage = {
        "fact": "outage_s",
        "expected": ">= 2.5094 and <= 4.0094",
        "observed": 3.1234,
        "ok": True,
        "low": 2.5094,
        "high": 4.0094,
    }
    holder = {
        "fact": "vip_holder_after",
        "expected": "== 'haproxy2'",
        "observed": "haproxy2",
        "ok": True,
        "equals": "haproxy2",
    }
    found = result(12, 1.0) | {
        "scenario": "stop-haproxy-haproxy1",
        "title": {"fr": "Perte du premier HAPROXY", "en": "Loss of the first HAPROXY"},
        "summary": {"fr": "", "en": ""},
        "verdict": "pass",
        "checks": [outage, holder],
        "events": [],
    }
    french = markdown(Sheet({"stop-haproxy-haproxy1": found}, "fr", "10.0.0.10"), "tp", None)
    assert "| coupure vue par le client | de 2,51 s à 4,01 s | 3,12 s |" in french
    assert "| VIP portée ensuite par | haproxy2 | haproxy2 |" in french
    english = html_page(Sheet({"stop-haproxy-haproxy1": found}, "en", "10.0.0.10"), "tp", None)
    assert "outage seen by the client" in english and "from 2.51 s to 4.01 s" in english
    for text in (french, english):
        assert "outage_s" not in text and ">=" not in text and "2.5094" not in text
