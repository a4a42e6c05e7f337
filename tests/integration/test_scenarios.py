"""Scenarios on the real daemons: each failure injected, measured, compared with the theory,
and the whole cluster back afterwards (also after a Ctrl-C)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import LabFactory, lab_up_during, labtool, status

LAB = "it-scen"


@pytest.fixture(scope="module")
def scen_lab() -> Iterator[str]:
    """One lab for the scenarios: each one leaves the cluster whole for the next."""
    yield from lab_up_during(LAB)


def scenario(lab: str, name: str) -> dict[str, Any]:
    run = labtool("scenario", name, "--name", lab, "--json", timeout_s=180)
    assert run.stdout, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    assert run.returncode == (0 if result["verdict"] == "pass" else 1)
    return result


def assert_whole(lab: str) -> None:
    data = status(lab)
    for node in data["nodes"]:  # type: ignore[attr-defined]
        assert node["up"] and all(node["daemons"].values()), node
    assert len(data["vip_holders"]) == 1  # type: ignore[arg-type]


def assert_takeover_agrees_with_adverts(metrics: dict[str, Any]) -> None:
    """Accuracy: the VIP appearing on the new master vs its first VRRP advert, within 100 ms."""
    assert metrics["vip_takeover_s"] is not None and metrics["advert_takeover_s"] is not None
    assert abs(metrics["vip_takeover_s"] - metrics["advert_takeover_s"]) <= 0.1


def test_json_fields(scen_lab: str) -> None:
    result = scenario(scen_lab, "stop-keepalived-haproxy1")
    for key in ("scenario", "verdict", "expected", "observed", "metrics"):
        assert key in result
    for key in ("outage_s", "vip_holder_before", "vip_holder_after"):
        assert key in result["metrics"]
    assert result["verdict"] == "pass", result["checks"]
    assert result["metrics"]["outage_s"] <= 1.0
    assert result["metrics"]["vip_holder_before"] == "haproxy1"
    assert result["metrics"]["vip_holder_after"] == "haproxy2"
    assert_takeover_agrees_with_adverts(result["metrics"])
    assert result["theory"]["vrrp_skew_s"] == pytest.approx(0.6094, abs=1e-3)
    assert_whole(scen_lab)


def test_lose_haproxy1_moves_the_vip_with_the_vrrp_timers(scen_lab: str) -> None:
    result = scenario(scen_lab, "lose-haproxy1")
    metrics = result["metrics"]
    assert result["verdict"] == "pass", result["checks"]
    assert metrics["vip_holder_after"] == "haproxy2"
    assert 2.0 <= metrics["outage_s"] <= 4.0
    assert metrics["vip_takeover_s"] <= result["theory"]["vrrp_master_down_s"] + 0.1
    assert_takeover_agrees_with_adverts(metrics)
    assert_whole(scen_lab)


def test_lose_web1_then_web2_serves_everything(scen_lab: str) -> None:
    result = scenario(scen_lab, "lose-web1")
    metrics, theory = result["metrics"], result["theory"]
    assert result["verdict"] == "pass", result["checks"]
    detect = metrics["haproxy_detect_s"]["web1"]
    # consistent with the config: inter 2 s, fall 3, check connect timeout min(10 s, 2 s)
    assert theory["haproxy_detect_min_s"] == pytest.approx(10.0)
    assert theory["haproxy_detect_max_s"] == pytest.approx(12.0)
    # (the earliest: once the kernel gave up on web1's address, the last check fails at once)
    assert theory["haproxy_detect_earliest_s"] == pytest.approx(8.0)
    assert (
        theory["haproxy_detect_earliest_s"] - 0.3 <= detect <= theory["haproxy_detect_max_s"] + 0.3
    )
    assert set(metrics["served_after_detect"]) == {"web2"}
    assert metrics["served_after_detect"]["web2"] > 10
    assert metrics["served_before"].keys() == {"web1", "web2"}
    assert_whole(scen_lab)


def test_restore_haproxy1_no_failback(scen_lab: str) -> None:
    result = scenario(scen_lab, "restore-haproxy1")
    assert result["verdict"] == "pass", result["checks"]
    assert result["metrics"]["vip_gained"] == []
    assert result["metrics"]["advert_interval_s"] == pytest.approx(1.0, abs=0.05)  # advert_int
    assert "100" in result["summary"]["fr"] and "BACKUP" in result["summary"]["en"]
    assert_whole(scen_lab)


def test_split_brain_is_detected(scen_lab: str) -> None:
    result = scenario(scen_lab, "split-brain")
    assert result["verdict"] == "pass", result["checks"]
    assert result["metrics"]["duplicate_vip"] is True
    assert result["metrics"]["duplicate_vip_nodes"] == ["haproxy1", "haproxy2"]
    assert_whole(scen_lab)


def test_stop_haproxy_with_the_track_script_moves_the_vip(scen_lab: str) -> None:
    result = scenario(scen_lab, "stop-haproxy-haproxy1")
    assert result["verdict"] == "pass", result["checks"]
    assert result["metrics"]["vip_holder_after"] == "haproxy2"
    assert_takeover_agrees_with_adverts(result["metrics"])
    assert_whole(scen_lab)


def test_lose_both_web_gives_503(scen_lab: str) -> None:
    result = scenario(scen_lab, "lose-both-web")
    assert result["verdict"] == "pass", result["checks"]
    assert result["metrics"]["status_counts"].get("503", 0) > 0
    assert "503" in result["summary"]["fr"]
    assert_whole(scen_lab)


def test_ctrl_c_during_a_scenario_restores_the_cluster(scen_lab: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "labtool", "scenario", "lose-haproxy1", "--name", scen_lab],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if status(scen_lab)["nodes"][0]["up"] is False:  # type: ignore[index]
                break  # haproxy1 has lost power: the fault is on
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert_whole(scen_lab)


def test_stop_haproxy_without_track_script_keeps_the_vip(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = tmp_path / "no-track.toml"
    lab.write_text("[vrrp]\ntrack_haproxy = false\n")
    lab_factory("it-notrack", "--lab", str(lab))
    result = scenario("it-notrack", "stop-haproxy-haproxy1")
    assert result["variant"] == "no_track_script"
    assert result["verdict"] == "pass", result["checks"]
    assert result["metrics"]["vip_holder_after"] == "haproxy1"
    assert result["metrics"]["outage_ongoing"] is True
    assert "Sans track_script" in result["summary"]["fr"]
    assert_whole("it-notrack")
    report = labtool("report", "--name", "it-notrack", "--format", "json")
    assert report.returncode == 0, report.stderr
    sheet = json.loads(report.stdout)["results"]["stop-haproxy-haproxy1"]
    assert "plus rien n'écoute sur le port 80" in sheet["summary"]["fr"]
    assert sheet["metrics"]["outage_ongoing"] is True
