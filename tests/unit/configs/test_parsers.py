"""The keepalived and HAProxy parsers over 80 real configs written by others
(../shared/corpus, read in place), and over the lab's own files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from labtool.configs.haproxy import parse_haproxy, words_of
from labtool.configs.keepalived import parse_keepalived
from tests.shared import SHARED

CORPUS = SHARED / "corpus"
KEEPALIVED = sorted((CORPUS / "keepalived").glob("*.conf"))
HAPROXY = sorted((CORPUS / "haproxy").glob("*.cfg"))
BROKEN_KEEPALIVED = {"011", "016", "022", "026", "028", "029", "010"}

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")


@needs_corpus
def test_the_corpus_is_all_there() -> None:
    assert len(KEEPALIVED) == 40 and len(HAPROXY) == 40


@needs_corpus
@pytest.mark.parametrize("path", KEEPALIVED, ids=lambda p: p.stem)
def test_keepalived_corpus_parses(path: Path) -> None:
    config = parse_keepalived(path.read_bytes(), str(path))
    assert config.statements, "nothing read"
    for finding in config.findings:
        assert finding.file == str(path) or finding.rule == "KA-INCLUDE"
        assert finding.severity in ("error", "warning", "info")
    if path.stem not in BROKEN_KEEPALIVED | {"009", "023"}:
        syntax = [f for f in config.findings if f.rule in ("KA-SYNTAX", "KA-UNKNOWN")]
        assert syntax == [], syntax


@needs_corpus
def test_keepalived_broken_ones_give_findings() -> None:
    def rules(name: str) -> dict[str, list[int | None]]:
        path = CORPUS / "keepalived" / f"{name}.conf"
        found: dict[str, list[int | None]] = {}
        for f in parse_keepalived(path.read_bytes(), str(path)).findings:
            found.setdefault(f.rule, []).append(f.line)
        return found

    assert rules("011")["KA-UNKNOWN"] == [1]  # a shell prompt on line 1
    assert "KA-UNKNOWN" in rules("026")  # vvrp_script
    assert "KA-SYNTAX" in rules("029")  # // comments
    assert "KA-SYNTAX" in rules("028")


@needs_corpus
def test_keepalived_layouts() -> None:
    """Blocks on one line, braces on the next line, comments right after '{', CRLF."""
    text = (
        'vrrp_script chk {\r\n script "killall -0 haproxy"\r\n interval 2 }\r\n'
        "vrrp_instance VI_1\r\n{ # comment\r\n  state MASTER ! another\r\n"
        "  virtual_ipaddress {\r\n 10.0.0.10/32\r\n }\r\n"
        "  track_script { chk }\r\n}\r\n"
    )
    config = parse_keepalived(text)
    assert config.findings == []
    instance = config.instances()[0]
    assert instance.name == "VI_1" and instance.line == 4
    assert instance.value("state") == "MASTER"
    assert [c.keyword for c in instance.all("virtual_ipaddress")[0].children or []] == [
        "10.0.0.10/32"
    ]
    assert instance.all("track_script")[0].words() == ["chk"]
    script = config.scripts()["chk"]
    assert script.value("script") == "killall -0 haproxy" and script.value("interval") == "2"


def test_keepalived_include_reads_through_the_resolver() -> None:
    files = {"/etc/keepalived/conf.d/vi.conf": "vrrp_instance VI_2 {\n state BACKUP\n}\n"}

    def resolver(pattern: str, including: str) -> list[tuple[str, str]] | None:
        return [(pattern, files[pattern])] if pattern in files else None

    config = parse_keepalived(
        "include /etc/keepalived/conf.d/vi.conf\ninclude /etc/shadow\n",
        "/etc/keepalived/keepalived.conf",
        resolver,
    )
    assert [i.name for i in config.instances()] == ["VI_2"]
    assert config.instances()[0].file == "/etc/keepalived/conf.d/vi.conf"
    assert [(f.rule, f.line) for f in config.findings] == [("KA-INCLUDE", 2)]


def test_keepalived_include_loop_stops() -> None:
    def resolver(pattern: str, including: str) -> list[tuple[str, str]] | None:
        return [(pattern, "include self.conf\n")]

    config = parse_keepalived("include self.conf\n", "k.conf", resolver)
    assert any("nested" in f.message for f in config.findings)


@needs_corpus
@pytest.mark.parametrize("path", HAPROXY, ids=lambda p: p.stem)
def test_haproxy_corpus_parses(path: Path) -> None:
    config = parse_haproxy(path.read_bytes(), str(path))
    assert config.sections
    if path.stem not in ("011", "013", "006"):
        assert [f for f in config.findings if f.severity == "error"] == []


@needs_corpus
def test_haproxy_broken_ones_give_findings() -> None:
    dup = parse_haproxy((CORPUS / "haproxy" / "011.cfg").read_bytes())
    assert any(f.rule == "HA-DUP-SERVER" and "tor0" in f.message for f in dup.findings)
    placeholder = parse_haproxy((CORPUS / "haproxy" / "013.cfg").read_bytes())
    assert any(f.rule == "HA-PLACEHOLDER" and f.line == 41 for f in placeholder.findings)


@needs_corpus
def test_haproxy_old_syntax_of_the_centos7_file() -> None:
    config = parse_haproxy((CORPUS / "centos7-default-haproxy.cfg").read_bytes())
    main = next(s for s in config.frontends() if s.name == "main")
    assert main.args == ["*:5000"]
    assert main.first("default_backend") is not None
    assert [s.words[1] for s in config.backend("app").servers()] == ["app1", "app2", "app3", "app4"]


def test_haproxy_words_quotes_escapes_comments() -> None:
    assert words_of('  http-request set-header X "a b" # c')[0] == [
        "http-request",
        "set-header",
        "X",
        "a b",
    ]
    assert words_of(r"acl x path_reg ^/a\ b")[0] == ["acl", "x", "path_reg", "^/a b"]
    assert words_of("log 'x y'")[0] == ["log", "x y"]
    assert words_of('bind "*:80')[1] is not None


def test_haproxy_conditionals_and_orphans() -> None:
    config = parse_haproxy(
        "maxconn 10\nglobal\n.if defined(X)\n  nbthread 2\n.endif\n.endif\n"
        "backend b\n.if streq(a,b)\n  server s 1.2.3.4:80\n"
    )
    rules = sorted((f.rule, f.line) for f in config.findings)
    assert rules == [("HA-SYNTAX", 1), ("HA-SYNTAX", 6), ("HA-SYNTAX", 8)]
    assert config.backend("b") is not None and config.backend("b").servers()[0].conditional


@pytest.mark.parametrize("seed", range(30))
def test_garbage_never_crashes(seed: int) -> None:
    """Random bytes, random mixes of the languages' own tokens: findings, never an exception."""
    rng = random.Random(seed)
    pieces = [
        "{",
        "}",
        '"',
        "'",
        "#",
        "!",
        "\\",
        "\n",
        "\r\n",
        " ",
        "\t",
        "vrrp_instance",
        "backend",
        ".if",
        ".endif",
        "include",
        "server",
        "@x",
        "\x00",
        "é",
        "\xff",
    ]
    text = "".join(rng.choice(pieces) for _ in range(400))
    raw = bytes(rng.randrange(256) for _ in range(300))
    for data in (text, raw, text.encode("utf-8", "replace")):
        parse_keepalived(data)
        parse_haproxy(data)
