"""Screen pop across processes: a second start hands its lookup to the running window."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from vp_desk.ui.single_instance import send_to_running_instance

START_TIMEOUT_SECONDS = 60.0


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "VP_DESK_INSTANCE_NAME": f"vp-desk-test-{uuid.uuid4().hex[:12]}",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }


@pytest.fixture
def first_window(environment: dict[str, str], tmp_path: Path) -> Iterator[Path]:
    """Start a demo window in its own process; yield the file its log goes to."""
    log = tmp_path / "first.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "vp_desk.app", "--demo", "--debug"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        name = environment["VP_DESK_INSTANCE_NAME"] + "-demo"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not send_to_running_instance(None, timeout_ms=500, name=name):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the first window never listened"
            time.sleep(0.2)
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def second_start(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vp_desk.app", "--demo", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_for_line(log: Path, text: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        content = log.read_text()
        if text in content:
            return content
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the first window's log:\n{log.read_text()[-2000:]}")


def test_window_logs_what_came_before_logging(first_window: Path) -> None:
    # The server listens before the window paints, and logging is configured after it.
    wait_for_line(first_window, "Listening for screen-pop requests of other vp-desk processes")


def test_second_start_hands_lookup_over(environment: dict[str, str], first_window: Path) -> None:
    result = second_start(environment, "--lookup", "giulia.rossi@example.com")

    assert result.returncode == 0, result.stderr
    wait_for_line(first_window, "GET /customers/by-email 200")
    wait_for_line(first_window, "GET /customers/{customerId}/cart 200")


def test_link_is_looked_up_by_phone(environment: dict[str, str], first_window: Path) -> None:
    result = second_start(environment, "--lookup", "vpdesk://lookup?phone=%2B393471182905")

    assert result.returncode == 0, result.stderr
    wait_for_line(first_window, "GET /customers/by-phone 200")


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("vpdesk://lookup?colour=red", "unknown_parameter"),
        ("vpdesk://lookup?phone=%2B1555", "invalid_query"),
        ("vpdesk://delete?id=1", "unknown_action"),
    ],
)
def test_bad_link_is_rejected_in_window(
    environment: dict[str, str], first_window: Path, link: str, reason: str
) -> None:
    result = second_start(environment, "--lookup", link)

    assert result.returncode == 0, result.stderr
    content = wait_for_line(first_window, f"Rejected a screen pop: {reason}")
    assert "GET /customers/by-phone" not in content


@pytest.mark.parametrize(
    ("text", "reason"),
    [("+44 20\x07 7946 0958", "control_character"), ("1" * 1001, "too_long")],
    ids=["control character", "too long"],
)
def test_bad_lookup_rejected_in_window(
    environment: dict[str, str], first_window: Path, text: str, reason: str
) -> None:
    result = second_start(environment, "--lookup", text)

    # The phone system's script learns it from the exit status, the agent from the window.
    assert result.returncode == 2
    assert "--lookup rejected" in result.stderr
    content = wait_for_line(first_window, f"Rejected a screen pop: {reason}")
    assert "GET /customers" not in content.split("Rejected a screen pop")[-1]
