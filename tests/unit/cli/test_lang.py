"""The language of the command line's own messages: `labtool --lang fr`, a command's own
`--lang`, LABTOOL_LANG; English when none is asked for. Errors and the lint findings, from
the catalog (labtool/locale)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtool.cli import app
from labtool.cli.console import Speech
from labtool.errors import ExitCode

runner = CliRunner()
LAB = '[nodes.web3]\nrole = "web"\naddress = "10.0.0.21"\n'


@pytest.fixture(autouse=True)
def _english_after() -> object:
    yield
    Speech.lang = "en"


def _bad_lab(tmp_path: Path) -> Path:
    lab = tmp_path / "lab.toml"
    lab.write_text(LAB)
    return lab


def test_errors_are_english_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABTOOL_LANG", raising=False)
    result = runner.invoke(app, ["up", "--lab", str(_bad_lab(tmp_path))])
    assert result.exit_code == ExitCode.USAGE
    assert "labtool: error:" in result.output
    assert "10.0.0.21 is already used by web1. Fix: give web3 a free address" in result.output


def test_labtool_lang_fr_writes_errors_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LABTOOL_LANG", raising=False)
    result = runner.invoke(app, ["--lang", "fr", "up", "--lab", str(_bad_lab(tmp_path))])
    assert result.exit_code == ExitCode.USAGE
    assert "labtool : erreur :" in result.output
    assert (
        "nodes.web3.address : 10.0.0.21 est déjà utilisée par web1. Correction : donner à "
        "web3 une adresse libre" in result.output
    )
    assert "Fix" not in result.output


def test_labtool_lang_env_and_a_commands_own_lang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABTOOL_LANG", "fr")
    result = runner.invoke(app, ["scenario", "nope"])
    assert "aucun scénario nommé « nope »" in result.output
    monkeypatch.delenv("LABTOOL_LANG")
    result = runner.invoke(app, ["scenario", "nope", "--lang", "fr"])
    assert "aucun scénario nommé « nope »" in result.output
    result = runner.invoke(app, ["--lang", "fr", "scenario", "nope", "--lang", "en"])
    assert "no scenario named 'nope'" in result.output  # (the command's own wins)
    result = runner.invoke(app, ["scenario", "nope"])
    assert "no scenario named 'nope'" in result.output  # (and nothing stays from before)


def test_a_bad_output_path_in_french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABTOOL_LANG", raising=False)
    missing = tmp_path / "nowhere" / "report.md"
    result = runner.invoke(app, ["--lang", "fr", "report", "-o", str(missing)])
    assert result.exit_code == ExitCode.USAGE
    assert f"le dossier {missing.parent} n'existe pas. Correction : mkdir -p" in result.output


def test_lint_findings_in_french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABTOOL_LANG", raising=False)
    config = tmp_path / "keepalived.conf"
    config.write_text("global_defs {\n}\n")
    english = runner.invoke(app, ["lint", str(config), "--no-daemons"])
    french = runner.invoke(app, ["--lang", "fr", "lint", str(config), "--no-daemons"])
    assert english.exit_code == french.exit_code == ExitCode.ERROR
    assert "1 error" in english.output and "KA-NO-INSTANCE" in english.output
    assert "1 erreur" in french.output and "KA-NO-INSTANCE" in french.output
    assert "fichiers : 1 erreur, 0 avertissement, 0 note" in french.output
    assert "pas de vrrp_instance" in french.output and "correction :" in french.output
    assert "no vrrp_instance" not in french.output
