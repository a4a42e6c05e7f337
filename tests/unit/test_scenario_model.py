"""Scenario files: every shipped one parses; bad ones are refused with file, field and fix."""

from __future__ import annotations

import pytest

from labtool.errors import LabFileError
from labtool.scenarios.model import (
    apply_variant,
    evaluate,
    list_scenarios,
    load_scenario,
    parse_scenario,
)

THEORY = {"vrrp_master_down_s": 3.6094, "vrrp_skew_s": 0.6094}


def test_the_seven_scenarios_ship_and_parse() -> None:
    assert list_scenarios() == sorted([
        "lose-web1", "lose-haproxy1", "stop-keepalived-haproxy1", "stop-haproxy-haproxy1",
        "restore-haproxy1", "split-brain", "lose-both-web"])
    for name in list_scenarios():
        scenario = load_scenario(name)
        assert scenario.fault and scenario.expect
        assert scenario.title["fr"] and scenario.title["en"]
        assert scenario.until or scenario.for_s is not None


def test_bounds_name_theory_values() -> None:
    assert evaluate("vrrp_master_down_s + 0.4", THEORY) == pytest.approx(4.0094)
    assert evaluate("vrrp_skew_s * 2", THEORY) == pytest.approx(1.2188)
    assert evaluate(1.5, THEORY) == 1.5
    with pytest.raises(LabFileError, match="expected a number or one of"):
        evaluate("vrrp_typo + 1", THEORY)


def test_unknown_action_is_refused() -> None:
    with pytest.raises(LabFileError, match=r"x.toml: \[fault\]: unknown action 'explode'"):
        parse_scenario({"name": "x", "title": {"fr": "x", "en": "x"},
                        "fault": {"action": "explode", "node": "web1"},
                        "observe": {"for_s": 1}}, "x.toml")


def test_unknown_condition_is_refused() -> None:
    with pytest.raises(LabFileError, match="unknown key 'vip_holdr'"):
        parse_scenario({"name": "x", "title": {"fr": "x", "en": "x"},
                        "fault": {"action": "power_off", "node": "web1"},
                        "observe": {"until": {"vip_holdr": "haproxy2"}}}, "x.toml")


def test_no_track_variant_changes_expectations() -> None:
    scenario = load_scenario("stop-haproxy-haproxy1")
    variant = apply_variant(scenario, "no_track_script")
    assert [e.fact for e in variant.expect] == ["vip_holder_after", "outage_ongoing"]
    assert variant.for_s == "track_failover_s + 3"
    assert "Sans track_script" in variant.summary["fr"]
    assert load_scenario("lose-web1") == apply_variant(load_scenario("lose-web1"), "x")


def test_unknown_scenario() -> None:
    with pytest.raises(LabFileError, match="no scenario named 'lose-web3'"):
        load_scenario("lose-web3")
