"""The vp-desk-sandbox command in a child process: start it, read its keys, stop it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

CLI_START_TIMEOUT_SECONDS = 30.0
CLI_STOP_TIMEOUT_SECONDS = 5.0


def wait_for_keys(path: Path, process: subprocess.Popen[str]) -> dict[str, Any]:
    """Wait until the command has written its keys file, and return its content."""
    deadline = time.monotonic() + CLI_START_TIMEOUT_SECONDS
    while not path.exists():
        assert process.poll() is None, "the sandbox command exited before writing its keys"
        assert time.monotonic() < deadline, "the sandbox command did not write its keys"
        time.sleep(0.05)
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def run_cli(tmp_path: Path, *options: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start the command with 60 customers and ``options``; return it and its keys."""
    keys_path = tmp_path / "keys.json"
    command = [sys.executable, "-m", "vp_desk.sandbox.cli", "--port", "0", "--customers", "60"]
    command += ["--write-keys", str(keys_path), *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + CLI_START_TIMEOUT_SECONDS
    while not keys_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.communicate()
            pytest.fail("the sandbox command did not write its keys")
        time.sleep(0.05)
    keys: dict[str, Any] = json.loads(keys_path.read_text(encoding="utf-8"))
    return process, keys


def stop_cli(
    process: subprocess.Popen[str], stop_signal: signal.Signals = signal.SIGTERM
) -> tuple[str, str]:
    """Stop the command with ``stop_signal``, kill it if it does not end, and return its output."""
    os.kill(process.pid, stop_signal)
    try:
        return process.communicate(timeout=CLI_STOP_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
