"""What the start of the app loads before its window paints, and what it leaves for later."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.timeout(120)


def run_fresh(code: str) -> str:
    """Run ``code`` in a new interpreter, so that no module of this test run is loaded."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_app_import_skips_email_validator() -> None:
    output = run_fresh(
        """
        import sys
        import vp_desk.app
        print("email_validator" in sys.modules)
        """
    )

    assert output == "False"


def test_email_rules_load_on_request() -> None:
    output = run_fresh(
        """
        import sys
        from vp_desk.api.identifiers import load_email_rules
        load_email_rules()
        print("email_validator" in sys.modules)
        """
    )

    assert output == "True"


def test_client_pool_built_on_prepare() -> None:
    output = run_fresh(
        """
        import asyncio
        import sys
        from vp_desk.api.client import CustomersClient

        client = CustomersClient("http://127.0.0.1:9", "sk_test_key")
        before = "httpcore" in sys.modules
        client.prepare()
        after = "httpcore" in sys.modules
        asyncio.run(client.aclose())
        print(before, after)
        """
    )

    assert output == "False True"
