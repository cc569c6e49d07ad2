"""Write a throwaway test CA and a server certificate for 127.0.0.1 that it signs, as PEM files."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_ADDRESS = "127.0.0.1"
VALIDITY = timedelta(days=1)
# Certificates start a few minutes in the past, so that a clock slightly behind still
# accepts them.
CLOCK_SKEW = timedelta(minutes=5)

CA_FILE_NAME = "ca.pem"
SERVER_CERTIFICATE_FILE_NAME = "server.pem"
SERVER_KEY_FILE_NAME = "server-key.pem"


@dataclass(frozen=True, slots=True)
class TestCertificates:
    """Paths of the files that write_test_certificates() wrote."""

    __test__ = False  # not a pytest test class, despite its name

    ca_certificate: Path
    server_certificate: Path
    server_key: Path
    """The server's private key, unencrypted, mode 0600."""


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vp-desk tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _build_ca(key: ec.EllipticCurvePrivateKey, common_name: str, now: datetime) -> x509.Certificate:
    name = _name(common_name)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def _build_server_certificate(
    key: ec.EllipticCurvePrivateKey,
    ca_certificate: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    now: datetime,
) -> x509.Certificate:
    public_key = key.public_key()
    # The extensions that OpenSSL's strict verification (Python 3.13's default) requires:
    # an authority key identifier, and a non-critical subjectAltName for the address.
    return (
        x509.CertificateBuilder()
        .subject_name(_name(SERVER_ADDRESS))
        .issuer_name(ca_certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(SERVER_ADDRESS))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def _write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL, so that an existing file, or a link planted in its place, is never overwritten.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)


def write_test_certificates(
    folder: Path, *, ca_name: str = "vp-desk throwaway test CA"
) -> TestCertificates:
    """Write a new CA and a server certificate for 127.0.0.1 signed by it into ``folder``.

    Every call makes new keys, valid for one day. The CA's own key is never written, so no
    certificate other than the one written here can ever carry its signature. Raises
    FileExistsError when ``folder`` already contains the server's key file.
    """
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_certificate = _build_ca(ca_key, ca_name, now)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_certificate = _build_server_certificate(server_key, ca_certificate, ca_key, now)

    paths = TestCertificates(
        ca_certificate=folder / CA_FILE_NAME,
        server_certificate=folder / SERVER_CERTIFICATE_FILE_NAME,
        server_key=folder / SERVER_KEY_FILE_NAME,
    )
    _write_private_key(paths.server_key, server_key)
    paths.ca_certificate.write_bytes(ca_certificate.public_bytes(serialization.Encoding.PEM))
    paths.server_certificate.write_bytes(
        server_certificate.public_bytes(serialization.Encoding.PEM)
    )
    return paths


def main(argv: list[str] | None = None) -> int:
    """Write the files into the folder named on the command line and print their paths."""
    parser = argparse.ArgumentParser(
        description=(
            f"Write a throwaway test CA ({CA_FILE_NAME}) and a server certificate "
            f"({SERVER_CERTIFICATE_FILE_NAME}) and key ({SERVER_KEY_FILE_NAME}) for "
            f"{SERVER_ADDRESS}, signed by that CA and valid for one day, into FOLDER."
        )
    )
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="an existing, empty folder")
    arguments = parser.parse_args(argv)

    folder: Path = arguments.folder
    if not folder.is_dir() or any(folder.iterdir()):
        parser.error(f"{folder} is not an existing, empty folder; make one with mktemp -d")
    paths = write_test_certificates(folder)
    print(f"CA certificate:     {paths.ca_certificate}")
    print(f"server certificate: {paths.server_certificate}")
    print(f"server key:         {paths.server_key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
