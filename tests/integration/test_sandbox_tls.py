"""The sandbox over HTTPS with a certificate from a throwaway CA, read through CustomersClient."""

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sandbox_command import stop_cli, wait_for_keys
from tests.packaging.make_test_ca import TestCertificates, write_test_certificates
from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import NetworkError
from vp_desk.api.models import Customer
from vp_desk.api.retry import RetryPolicy, is_certificate_failure
from vp_desk.sandbox.cli import main
from vp_desk.sandbox.data import Dataset, generate_dataset
from vp_desk.sandbox.server import SandboxServer, SandboxStartError, TlsFiles

CUSTOMERS = 40


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    """Return a new test CA and a server certificate for 127.0.0.1 that it signed."""
    return write_test_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the certificate of a second test CA, which signed nothing that the sandbox uses."""
    return write_test_certificates(
        tmp_path_factory.mktemp("other-tls"), ca_name="vp-desk unrelated test CA"
    ).ca_certificate


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate_dataset(customers=CUSTOMERS, seed=5)


@pytest.fixture(scope="module")
def https_server(dataset: Dataset, certificates: TestCertificates) -> Iterator[SandboxServer]:
    tls = TlsFiles(certificates.server_certificate, certificates.server_key)
    with SandboxServer(dataset, tls=tls) as server:
        yield server


def look_up(base_url: str, api_key: str, email: str, trusted_ca: Path | None) -> Customer:
    """Find the customer with ``email`` through a client that also trusts ``trusted_ca``."""

    async def scenario() -> Customer:
        # One attempt, because a failed handshake is the outcome that some tests expect.
        policy = RetryPolicy(max_attempts=1)
        async with CustomersClient(base_url, api_key, retry_policy=policy) as client:
            if trusted_ca is not None:
                client.ssl_context.load_verify_locations(cafile=trusted_ca)
            return await client.get_customer_by_email(email)

    return asyncio.run(scenario())


def first_customer(dataset: Dataset) -> tuple[str, Customer]:
    """Return the first store's API key and a customer of that store that has an email."""
    store = dataset.stores[0]
    customer = next(c for c in dataset.customers_of(store.id) if c.email is not None)
    return store.api_key, customer


def test_base_url_is_https(https_server: SandboxServer) -> None:
    assert https_server.base_url.startswith("https://127.0.0.1:")


def test_lookup_trusting_test_ca(
    https_server: SandboxServer, dataset: Dataset, certificates: TestCertificates
) -> None:
    api_key, expected = first_customer(dataset)
    assert expected.email is not None

    found = look_up(https_server.base_url, api_key, expected.email, certificates.ca_certificate)

    assert found.id == expected.id
    assert found.email == expected.email


@pytest.mark.parametrize("trusted_ca", ["other CA", "system store only"])
def test_untrusted_ca_fails_certificate_check(
    https_server: SandboxServer, dataset: Dataset, other_ca: Path, trusted_ca: str
) -> None:
    api_key, expected = first_customer(dataset)
    assert expected.email is not None
    https_server.clear_request_log()

    with pytest.raises(NetworkError, match="TLS certificate could not be verified") as error:
        look_up(
            https_server.base_url,
            api_key,
            expected.email,
            other_ca if trusted_ca == "other CA" else None,
        )

    assert is_certificate_failure(error.value)
    assert https_server.request_log() == []


def test_plain_http_to_https_port_fails(https_server: SandboxServer, dataset: Dataset) -> None:
    api_key, expected = first_customer(dataset)
    assert expected.email is not None
    plain_url = https_server.base_url.replace("https://", "http://", 1)

    with pytest.raises(NetworkError):
        look_up(plain_url, api_key, expected.email, None)


def test_key_not_matching_certificate_rejected(
    dataset: Dataset, certificates: TestCertificates, tmp_path: Path
) -> None:
    other = write_test_certificates(tmp_path)
    server = SandboxServer(dataset, tls=TlsFiles(certificates.server_certificate, other.server_key))

    with pytest.raises(SandboxStartError, match="Cannot load the TLS certificate"):
        server.start()
    server.stop()


# --- Command line ----------------------------------------------------------------------------


def test_cli_serves_https(tmp_path: Path, certificates: TestCertificates, dataset: Dataset) -> None:
    keys_path = tmp_path / "keys.json"
    command = [sys.executable, "-m", "vp_desk.sandbox.cli", "--port", "0", "--seed", "5"]
    command += ["--customers", str(CUSTOMERS), "--write-keys", str(keys_path)]
    command += ["--tls-cert", str(certificates.server_certificate)]
    command += ["--tls-key", str(certificates.server_key)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        keys = wait_for_keys(keys_path, process)
        _api_key, expected = first_customer(dataset)
        assert expected.email is not None
        found = look_up(
            keys["baseUrl"],
            keys["stores"][0]["apiKey"],
            expected.email,
            certificates.ca_certificate,
        )

        stdout, stderr = stop_cli(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    assert keys["baseUrl"].startswith("https://127.0.0.1:")
    assert f"Sandbox Customers API at {keys['baseUrl']}/api/v1" in stdout
    assert f"Base URL for vp-desk: {keys['baseUrl']}\n" in stdout
    assert found.id == expected.id


@pytest.mark.parametrize("given", ["--tls-cert", "--tls-key"])
def test_cli_needs_both_tls_options(
    capsys: pytest.CaptureFixture[str], certificates: TestCertificates, given: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--port", "0", "--customers", "1", given, str(certificates.server_certificate)])

    assert exit_info.value.code == 2
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err


def test_cli_reports_unreadable_key(
    capsys: pytest.CaptureFixture[str], certificates: TestCertificates, tmp_path: Path
) -> None:
    missing = tmp_path / "missing-key.pem"
    arguments = ["--port", "0", "--customers", "1"]
    arguments += ["--tls-cert", str(certificates.server_certificate), "--tls-key", str(missing)]

    status = main(arguments)

    assert status == 1
    error = capsys.readouterr().err
    assert "Cannot load the TLS certificate" in error
    assert str(missing) in error


def test_server_key_readable_by_owner_only(certificates: TestCertificates) -> None:
    assert certificates.server_key.stat().st_mode & 0o777 == 0o600
