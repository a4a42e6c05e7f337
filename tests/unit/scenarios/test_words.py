"""A scenario's result in the student's words: facts by meaning, two decimals and a unit, no
field name, repr or four-decimal bound (the issue's own examples)."""

from __future__ import annotations

from labtool.scenarios import words
from labtool.scenarios.result import Check


def test_a_bound_reads_as_a_range_with_its_unit() -> None:
    check = Check("outage_s", ">= 2.5094 and <= 4.0094", 3.2093, True, low=2.5094, high=4.0094)
    assert words.fact_name("outage_s", "fr") == "coupure vue par le client"
    assert words.expected_text(check, "fr") == "de 2,51 s à 4,01 s"
    assert words.expected_text(check, "en") == "from 2.51 s to 4.01 s"
    assert words.value_text("outage_s", 3.2093, "fr") == "3,21 s"
    upper = Check("takeover_s", "<= 3.81", 3.0, True, high=3.81)
    assert words.fact_name("takeover_s", "fr") == "bascule de la VIP"
    assert words.expected_text(upper, "fr") == "au plus 3,81 s"


def test_values_read_as_a_reader_writes_them() -> None:
    assert words.value_text("served_after", {"web1": 35, "web2": 35}, "fr") == "web1 35, web2 35"
    assert words.value_text("vip_gained", [], "fr") == "aucun"
    assert words.value_text("duplicate_vip", True, "fr") == "oui"
    assert words.value_text("takeover_s", None, "en") == "not measured"
    equals = Check("vip_holder_after", '"haproxy2"', "haproxy2", True, equals="haproxy2")
    assert words.expected_text(equals, "fr") == "haproxy2"
    assert words.fact_name("haproxy_detect_s.web1", "fr") == "HAProxy écarte web1"
    assert words.verdict("pass", "fr") == "réussi"


def test_a_count_reads_as_a_whole_number() -> None:
    served = Check("served_after.web2", ">= 1", 20, True, low=1.0)
    assert words.expected_text(served, "en") == "at least 1"
    assert words.expected_text(served, "fr") == "au moins 1"
    whole_seconds = Check("outage_s", "<= 3", 2.0, True, high=3.0)
    assert words.expected_text(whole_seconds, "en") == "at most 3.00 s"  # (a duration: 2 decimals)
