"""Where `labtool serve` listens, and how: 127.0.0.1 by default; any other address only with
TLS (a certificate given, or one made here with `--self-signed`, whose fingerprint the
instructor reads out to the class). Checked before anything is made or listened on."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from labtool.errors import LabtoolError, UsageError
from labtool.i18n import Msg

LOCAL = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT = 8443
SELF_SIGNED_DAYS = 30


@dataclass(frozen=True)
class Listen:
    host: str
    port: int
    cert: Path | None = None
    key: Path | None = None
    fingerprint: str | None = None  # SHA-256 of the certificate, as browsers show it

    @property
    def tls(self) -> bool:
        return self.cert is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def context(self) -> ssl.SSLContext | None:
        if self.cert is None or self.key is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert, self.key)
        return context


def parse_bind(text: str) -> tuple[str, int]:
    """ADDR:PORT, [IPv6]:PORT, or ADDR alone (the default port); port 0: any free one."""
    host, port = text, str(DEFAULT_PORT)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else port
    elif text.count(":") == 1:
        host, port = text.split(":")
    bracketed = not text.startswith("[") or "]" in text
    if not bracketed or not _host(host) or not port.isdigit() or not 0 <= int(port) < 65536:
        raise UsageError(Msg("--bind {text}: give ADDRESS:PORT, e.g. 127.0.0.1:8443", text=text))
    return host, int(port)


def _host(text: str) -> bool:
    """An IP address or a host name."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return bool(re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", text))
    return True


def listening(
    bind: str, cert: Path | None, key: Path | None, self_signed: bool, folder: Path
) -> Listen:
    """The address and the TLS the server will use, or one message saying what is missing."""
    host, port = parse_bind(bind)
    if (cert is None) != (key is None):
        raise UsageError(Msg("--tls-cert and --tls-key go together: give both"))
    if cert is not None and self_signed:
        raise UsageError(Msg("--self-signed makes a certificate: not with --tls-cert"))
    if host not in LOCAL and cert is None and not self_signed:
        raise UsageError(
            Msg(
                "serve listens on {host} (beyond this machine) only with TLS: the sign-in "
                "codes and sessions would cross the network in clear. Fix: --tls-cert FILE "
                "--tls-key FILE, or --self-signed",
                host=host,
            )
        )
    if self_signed:
        cert, key = make_self_signed(host, folder / "tls")
    listen = Listen(host, port, cert, key, fingerprint_of(cert) if cert else None)
    try:
        listen.context()
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise LabtoolError(
            Msg("cannot use the certificate {cert} with its key: {exc}", cert=cert, exc=exc)
        ) from None
    return listen


def fingerprint_of(cert: Path) -> str:
    try:
        der = ssl.PEM_cert_to_DER_cert(cert.read_text(encoding="ascii"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise LabtoolError(
            Msg("cannot read the certificate {cert}: {exc}", cert=cert, exc=exc)
        ) from None
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def make_self_signed(host: str, folder: Path) -> tuple[Path, Path]:
    """A certificate for `host` (its address or name, and 127.0.0.1), and its key (readable by
    its owner alone), valid SELF_SIGNED_DAYS days; kept and reused while valid."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    now = datetime.datetime.now(datetime.UTC)
    if cert_path.exists() and key_path.exists():
        with open(cert_path, "rb") as file:
            old = x509.load_pem_x509_certificate(file.read())
        if old.not_valid_after_utc > now + datetime.timedelta(days=1):
            return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"labtool serve {host}")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.touch(mode=0o600)
    key_path.chmod(0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
