"""A throw-away certificate authority made by ``openssl``, and SSL contexts on it.

The TLS tests need what a real site has: a CA, a server certificate and a client
certificate that it signed, plus a "stranger" certificate signed by another CA
that the server must refuse. Everything is made fresh under a temporary
directory by the ``openssl`` command line, so that DCMTK (``+tls key cert``,
``+cf ca``) and Python's :mod:`ssl` read the very same files.

Certificates carry the extensions a strict X.509 verifier expects (CA basic
constraints and key usage, subject/authority key identifiers, extended key
usage), and the leaves name every loopback spelling in subjectAltName, so that
hostname checks pass for ``localhost``, ``127.0.0.1`` and ``::1``.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: The name a client checks the server certificate against.
SERVER_HOSTNAME = "localhost"

#: Upper bound for one ``openssl`` run (key generation is the slow part).
_OPENSSL_TIMEOUT = 60.0

_CA_EXTENSIONS = (
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier=hash",
)

_LEAF_EXTENSIONS = "\n".join(  # noqa: FLY002  (one extension a line)
    (
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth,clientAuth",
        "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
        "subjectKeyIdentifier=hash",
        "authorityKeyIdentifier=keyid",
    )
)


def openssl_available() -> bool:
    """Whether the ``openssl`` command line tool is on ``PATH``."""
    return shutil.which("openssl") is not None


def _openssl(*args: str) -> None:
    subprocess.run(
        ["openssl", *args],
        check=True,
        capture_output=True,
        timeout=_OPENSSL_TIMEOUT,
    )


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A PEM certificate and its unencrypted PEM private key."""

    cert: Path
    key: Path


def _make_ca(directory: Path, name: str) -> KeyPair:
    """A self-signed CA certificate (the trust anchor)."""
    pair = KeyPair(directory / f"{name}.crt", directory / f"{name}.key")
    extensions = [arg for ext in _CA_EXTENSIONS for arg in ("-addext", ext)]
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", f"/CN={name}", "-keyout", str(pair.key), "-out", str(pair.cert),
        *extensions,
    )  # fmt: skip
    return pair


def _make_leaf(directory: Path, name: str, ca: KeyPair, serial: int) -> KeyPair:
    """A certificate for ``name`` signed by ``ca``, usable by client and server."""
    pair = KeyPair(directory / f"{name}.crt", directory / f"{name}.key")
    request = directory / f"{name}.csr"
    extensions = directory / f"{name}.ext"
    extensions.write_text(_LEAF_EXTENSIONS + "\n", encoding="ascii")
    _openssl(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
        "-keyout", str(pair.key), "-out", str(request),
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca.cert),
        "-CAkey", str(ca.key), "-set_serial", str(serial), "-days", "1",
        "-extfile", str(extensions), "-out", str(pair.cert),
    )  # fmt: skip
    return pair


@dataclass(frozen=True, slots=True)
class PKI:
    """The files of one test PKI.

    Attributes
    ----------
    ca : KeyPair
        The authority that signed ``server`` and ``client``.
    server, client : KeyPair
        Leaf certificates signed by ``ca``.
    stranger : KeyPair
        A client certificate signed by an unrelated CA: never to be trusted.
    """

    ca: KeyPair
    server: KeyPair
    client: KeyPair
    stranger: KeyPair

    def server_context(self, *, require_client: bool = True) -> ssl.SSLContext:
        """The server side, verifying client certificates against ``ca``."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile=self.server.cert, keyfile=self.server.key)
        if require_client:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=self.ca.cert)
        return context

    def client_context(self, certificate: KeyPair | None) -> ssl.SSLContext:
        """A client trusting ``ca``, presenting ``certificate`` if given."""
        context = ssl.create_default_context(
            ssl.Purpose.SERVER_AUTH, cafile=self.ca.cert
        )
        if certificate is not None:
            context.load_cert_chain(certfile=certificate.cert, keyfile=certificate.key)
        return context


def make_pki(directory: Path) -> PKI:
    """Create a CA, its server and client certificates, and a stranger's."""
    ca = _make_ca(directory, "dicomnet-test-ca")
    other_ca = _make_ca(directory, "unrelated-ca")
    return PKI(
        ca=ca,
        server=_make_leaf(directory, "server", ca, serial=1),
        client=_make_leaf(directory, "client", ca, serial=2),
        stranger=_make_leaf(directory, "stranger", other_ca, serial=3),
    )
