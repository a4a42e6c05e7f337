"""Where serve listens: 127.0.0.1 as given; any other address refused without TLS, before
anything is made; a self-signed certificate made, loadable, its fingerprint the one a
browser shows; a certificate without its key, or that is no certificate, one message."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

import pytest

from labtool.errors import LabtoolError, UsageError
from labtool.serve.listen import listening, parse_bind


def test_addresses_and_ports_as_written() -> None:
    assert parse_bind("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert parse_bind("[::1]:9000") == ("::1", 9000)
    assert parse_bind("0.0.0.0") == ("0.0.0.0", 8443)
    for bad in ("127.0.0.1:http", ":80", "127.0.0.1:70000", "[::1", "a b:80", "-x:80"):
        with pytest.raises(UsageError):
            parse_bind(bad)


def test_this_machine_alone_needs_no_tls(tmp_path: Path) -> None:
    listen = listening("127.0.0.1:8000", None, None, False, tmp_path)
    assert not listen.tls and listen.url == "http://127.0.0.1:8000" and listen.context() is None
    assert list(tmp_path.iterdir()) == []


def test_beyond_this_machine_without_tls_is_refused_and_nothing_made(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as refused:
        listening("0.0.0.0:8443", None, None, False, tmp_path / "state")
    assert "only with TLS" in str(refused.value) and "--self-signed" in str(refused.value)
    assert not (tmp_path / "state").exists()


def test_a_self_signed_certificate_is_made_kept_and_its_fingerprint_said(tmp_path: Path) -> None:
    listen = listening("192.0.2.10:8443", None, None, True, tmp_path)
    assert listen.tls and listen.url == "https://192.0.2.10:8443"
    assert listen.cert is not None and listen.key is not None
    assert listen.key.stat().st_mode & 0o077 == 0
    context = listen.context()
    assert isinstance(context, ssl.SSLContext)
    der = ssl.PEM_cert_to_DER_cert(listen.cert.read_text())
    assert listen.fingerprint == ":".join(
        hashlib.sha256(der).hexdigest().upper()[i : i + 2] for i in range(0, 64, 2)
    )
    again = listening("192.0.2.10:8443", None, None, True, tmp_path)
    assert again.fingerprint == listen.fingerprint  # (kept while valid)


def test_a_certificate_given_wrongly_is_one_message(tmp_path: Path) -> None:
    made = listening("127.0.0.1:1", None, None, True, tmp_path / "made")
    with pytest.raises(UsageError, match="go together"):
        listening("0.0.0.0:8443", made.cert, None, False, tmp_path)
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    with pytest.raises(LabtoolError, match="cannot"):
        listening("0.0.0.0:8443", bogus, made.key, False, tmp_path)
