"""Tests of the single-instance guard, in one process and across real processes."""

from __future__ import annotations

import json
import os
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from PySide6.QtCore import QDir
from PySide6.QtNetwork import QLocalSocket
from pytestqt.qtbot import QtBot

from vp_desk.api.models import Customer
from vp_desk.screen_pop import MAX_REQUEST_LENGTH, ScreenPopError, ScreenPopReason
from vp_desk.ui import single_instance
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.single_instance import (
    MAX_MESSAGE_BYTES,
    InstanceServer,
    ListenOutcome,
    decode_reply,
    default_server_name,
    encode_message,
    send_to_running_instance,
)
from vp_desk.ui.window_start import ScreenPopRouter

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 10_000
CHILD_WAIT_SECONDS = 20.0
LINK = "vpdesk://lookup?phone=%2B442079460958"

SERVER_SCRIPT = """
import json, sys
from PySide6.QtCore import QCoreApplication, QTimer
from vp_desk.ui.single_instance import InstanceServer

app = QCoreApplication(sys.argv[:1])
server = InstanceServer(sys.argv[1])
expected = int(sys.argv[2])
received = []


def report(line):
    print(line, flush=True)
    received.append(line)
    if len(received) == expected:
        app.quit()


print("listen " + server.listen().value, flush=True)
server.lookup_requested.connect(lambda text: report("lookup " + json.dumps(text)))
server.activation_requested.connect(lambda: report("activate"))
# The child ends by itself even when the test never sends it enough requests.
QTimer.singleShot(20_000, app.quit)
app.exec()
server.close()
print("stopped", flush=True)
"""

CLIENT_SCRIPT = """
import json, sys
from vp_desk.ui.single_instance import send_to_running_instance

text = json.loads(sys.argv[2])
print("sent " + json.dumps(send_to_running_instance(text, name=sys.argv[1])), flush=True)
"""


class Child:
    """A Python process started by a test, with its output lines read in the background."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout: float = CHILD_WAIT_SECONDS) -> str | None:
        """Return the child's next output line, or None once its output has ended."""
        return self.lines.get(timeout=timeout)

    def stop(self) -> None:
        """Kill the child if it still runs, wait for it and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=CHILD_WAIT_SECONDS)
        self._reader.join(timeout=CHILD_WAIT_SECONDS)
        if self.process.stdout is not None:
            self.process.stdout.close()


StartChild = Callable[..., Child]


@pytest.fixture
def start_child(tmp_path: Path) -> Iterator[StartChild]:
    """Start Python children that run a script; kill and reap every one after the test."""
    children: list[Child] = []
    environment = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
    }

    def start(script: str, *arguments: str) -> Child:
        path = tmp_path / f"child_{len(children)}.py"
        path.write_text(script, encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, str(path), *arguments],
            stdout=subprocess.PIPE,
            text=True,
            env=environment,
            cwd=ROOT,
        )
        child = Child(process)
        children.append(child)
        return child

    try:
        yield start
    finally:
        for child in children:
            child.stop()


@pytest.fixture
def server_name() -> str:
    """Return a name that no real vp-desk and no other test uses."""
    return f"vp-desk-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def server(qtbot: QtBot, server_name: str) -> Iterator[InstanceServer]:
    """Return a listening server on ``server_name``; close it after the test."""
    instance = InstanceServer(server_name)
    assert instance.listen() == ListenOutcome.LISTENING
    yield instance
    instance.close()
    instance.deleteLater()


def exchange(qtbot: QtBot, name: str, data: bytes) -> bytes:
    """Send ``data`` without blocking and return what the server sent before it closed."""
    socket = QLocalSocket()
    received = bytearray()

    def read() -> None:
        received.extend(socket.readAll().data())

    socket.readyRead.connect(read)
    socket.connectToServer(name)
    try:
        qtbot.waitUntil(
            lambda: socket.state() == QLocalSocket.LocalSocketState.ConnectedState,
            timeout=WAIT_MS,
        )
        socket.write(data)
        qtbot.waitUntil(
            lambda: socket.state() == QLocalSocket.LocalSocketState.UnconnectedState,
            timeout=WAIT_MS,
        )
        read()
        return bytes(received)
    finally:
        socket.abort()
        socket.deleteLater()


def reply_of(data: bytes) -> bool:
    """Return the accepted flag of a framed reply."""
    (length,) = struct.unpack_from(">I", data)
    assert len(data) == 4 + length
    return decode_reply(data[4:])


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def test_server_receives_request(qtbot: QtBot, server: InstanceServer) -> None:
    message = encode_message({"version": 1, "request": LINK})

    with qtbot.waitSignal(server.lookup_requested, timeout=WAIT_MS) as blocker:
        reply = exchange(qtbot, server.name, message)

    assert blocker.args == [LINK]
    assert reply_of(reply) is True


def test_server_receives_activation(qtbot: QtBot, server: InstanceServer) -> None:
    message = encode_message({"version": 1, "request": None})

    with (
        qtbot.waitSignal(server.activation_requested, timeout=WAIT_MS),
        qtbot.assertNotEmitted(server.lookup_requested),
    ):
        reply = exchange(qtbot, server.name, message)

    assert reply_of(reply) is True


def test_server_receives_rejection_reason(qtbot: QtBot, server: InstanceServer) -> None:
    message = encode_message({"version": 1, "rejected": "control_character"})

    with (
        qtbot.waitSignal(server.lookup_rejected, timeout=WAIT_MS) as blocker,
        qtbot.assertNotEmitted(server.lookup_requested),
    ):
        reply = exchange(qtbot, server.name, message)

    assert blocker.args == [ScreenPopReason.CONTROL_CHARACTER]
    assert reply_of(reply) is True


def test_server_takes_message_in_pieces(qtbot: QtBot, server: InstanceServer) -> None:
    message = encode_message({"version": 1, "request": "+44 20 7946 0958"})
    socket = QLocalSocket()
    socket.connectToServer(server.name)
    try:
        qtbot.waitUntil(
            lambda: socket.state() == QLocalSocket.LocalSocketState.ConnectedState,
            timeout=WAIT_MS,
        )
        with qtbot.waitSignal(server.lookup_requested, timeout=WAIT_MS) as blocker:
            for start in range(0, len(message), 5):
                socket.write(message[start : start + 5])
                socket.flush()
                qtbot.wait(5)
    finally:
        socket.abort()
        socket.deleteLater()

    assert blocker.args == ["+44 20 7946 0958"]


BAD_MESSAGES = {
    "length over limit": struct.pack(">I", MAX_MESSAGE_BYTES + 1) + b"{}",
    "zero length": struct.pack(">I", 0),
    "not json": frame(b"phone=+442079460958"),
    "not utf-8": frame(b'{"version":1,"request":"\xff"}'),
    "not an object": frame(b'["+442079460958"]'),
    "deep nesting": frame(b"[" * 4000 + b"]" * 4000),
    "no version": frame(b'{"request":"x"}'),
    "wrong version": frame(b'{"version":2,"request":"x"}'),
    "version true": frame(b'{"version":true,"request":"x"}'),
    "extra key": frame(b'{"version":1,"request":"x","raise":true}'),
    "no request": frame(b'{"version":1}'),
    "request number": frame(b'{"version":1,"request":442079460958}'),
    "repeated key": frame(b'{"version":1,"request":"x","request":"y"}'),
    "control character": frame(b'{"version":1,"request":"+44\\n2079460958"}'),
    "request too long": encode_message({"version": 1, "request": "1" * (MAX_REQUEST_LENGTH + 1)}),
    "bytes after message": encode_message({"version": 1, "request": "x"}) + b"more",
    "rejection with request": frame(b'{"version":1,"rejected":"too_long","request":"x"}'),
    "unknown rejection": frame(b'{"version":1,"rejected":"bored"}'),
    "rejection of a parsed link": frame(b'{"version":1,"rejected":"unknown_parameter"}'),
    "rejection number": frame(b'{"version":1,"rejected":3}'),
}


@pytest.mark.parametrize("data", BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
def test_server_rejects_bad_message(qtbot: QtBot, server: InstanceServer, data: bytes) -> None:
    with (
        qtbot.assertNotEmitted(server.lookup_requested, wait=100),
        qtbot.assertNotEmitted(server.activation_requested),
        qtbot.assertNotEmitted(server.lookup_rejected),
    ):
        reply = exchange(qtbot, server.name, data)

    assert reply_of(reply) is False


def test_server_drops_slow_sender(
    qtbot: QtBot, server: InstanceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(single_instance, "CONNECTION_TIMEOUT_MS", 100)
    message = encode_message({"version": 1, "request": "x"})

    with qtbot.assertNotEmitted(server.lookup_requested, wait=100):
        reply = exchange(qtbot, server.name, message[:-1])

    assert reply == b""


def test_server_survives_probe(qtbot: QtBot, server: InstanceServer) -> None:
    # The probe of a starting process connects and leaves without a word.
    with qtbot.assertNotEmitted(server.lookup_requested, wait=100):
        assert single_instance._server_is_running(server.name)

    with qtbot.waitSignal(server.lookup_requested, timeout=WAIT_MS):
        exchange(qtbot, server.name, encode_message({"version": 1, "request": "x"}))


def test_second_server_finds_first(qtbot: QtBot, server: InstanceServer) -> None:
    second = InstanceServer(server.name)
    try:
        assert second.listen() == ListenOutcome.ANOTHER_INSTANCE
        assert not second.is_listening()
    finally:
        second.close()
        second.deleteLater()

    # The first server still owns the name after the second one looked.
    with qtbot.waitSignal(server.lookup_requested, timeout=WAIT_MS):
        exchange(qtbot, server.name, encode_message({"version": 1, "request": "x"}))


def test_socket_is_private_to_user(server: InstanceServer) -> None:
    path = os.path.join(QDir.tempPath(), server.name)

    mode = os.stat(path).st_mode

    assert mode & 0o077 == 0


def test_close_removes_name(server_name: str) -> None:
    server = InstanceServer(server_name)
    assert server.listen() == ListenOutcome.LISTENING

    server.close()

    assert not os.path.exists(os.path.join(QDir.tempPath(), server_name))
    assert send_to_running_instance("x", 500, name=server_name) is False
    server.deleteLater()


def test_send_without_server_fails_fast(server_name: str) -> None:
    started = time.monotonic()

    assert send_to_running_instance("x", name=server_name) is False
    assert time.monotonic() - started < 1.0


def test_send_rejects_control_characters(server_name: str) -> None:
    with pytest.raises(ScreenPopError):
        send_to_running_instance("+44\n2079460958", name=server_name)


def test_send_to_child_process(start_child: StartChild, server_name: str) -> None:
    child = start_child(SERVER_SCRIPT, server_name, "2")
    assert child.next_line() == "listen listening"

    assert send_to_running_instance(LINK, name=server_name) is True
    assert send_to_running_instance(None, name=server_name) is True

    assert child.next_line() == "lookup " + json.dumps(LINK)
    assert child.next_line() == "activate"
    assert child.next_line() == "stopped"
    assert child.process.wait(timeout=CHILD_WAIT_SECONDS) == 0


def test_child_process_sends_to_server(
    qtbot: QtBot, start_child: StartChild, server: InstanceServer
) -> None:
    text = "jörg+vip@example.com"

    with qtbot.waitSignal(server.lookup_requested, timeout=WAIT_MS) as blocker:
        child = start_child(CLIENT_SCRIPT, server.name, json.dumps(text))
    qtbot.waitUntil(lambda: child.process.poll() is not None, timeout=WAIT_MS)

    assert blocker.args == [text]
    assert child.next_line() == "sent true"
    assert child.process.returncode == 0


def test_stale_name_recovery(qtbot: QtBot, start_child: StartChild, server_name: str) -> None:
    crashed = start_child(SERVER_SCRIPT, server_name, "1")
    assert crashed.next_line() == "listen listening"
    crashed.stop()
    # A killed process cannot remove its socket file, so the name is left behind.
    assert os.path.exists(os.path.join(QDir.tempPath(), server_name))

    server = InstanceServer(server_name)
    try:
        assert server.listen() == ListenOutcome.LISTENING
        with qtbot.waitSignal(server.lookup_requested, timeout=WAIT_MS) as blocker:
            exchange(qtbot, server_name, encode_message({"version": 1, "request": "x"}))
    finally:
        server.close()
        server.deleteLater()

    assert blocker.args == ["x"]


def test_default_name_is_per_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    names = {}
    for user in ("alice", "bob", "ali/ce x"):
        monkeypatch.setattr(single_instance.getpass, "getuser", lambda user=user: user)
        names[user] = default_server_name()

    assert names["alice"].startswith("vp-desk-alice-")
    assert names["bob"].startswith("vp-desk-bob-")
    assert names["ali/ce x"].startswith("vp-desk-ali_ce_x-")
    assert len(set(names.values())) == 3
    assert default_server_name() == names["ali/ce x"]


def test_default_name_uses_private_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    # mkdtemp creates the folder with mode 0700; /tmp keeps the socket path short.
    with tempfile.TemporaryDirectory(prefix="vpd-", dir="/tmp") as runtime:
        monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)

        name = default_server_name()

        assert os.path.dirname(name) == runtime
        assert os.path.basename(name).startswith("vp-desk-")


def test_default_name_skips_shared_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory(prefix="vpd-", dir="/tmp") as runtime:
        os.chmod(runtime, 0o755)  # noqa: S103 - a runtime folder that others may read
        monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)

        name = default_server_name()

        assert not os.path.isabs(name)


def test_server_listens_in_runtime_dir(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory(prefix="vpd-", dir="/tmp") as runtime:
        monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
        server = InstanceServer()
        try:
            assert server.listen() == ListenOutcome.LISTENING
            assert os.path.dirname(server.name) == runtime
            with qtbot.waitSignal(server.lookup_requested, timeout=WAIT_MS):
                exchange(qtbot, server.name, encode_message({"version": 1, "request": "x"}))
        finally:
            server.close()
            server.deleteLater()


def test_newest_held_lookup_reaches_window(
    qtbot: QtBot, server: InstanceServer, window: MainWindow, customers: list[Customer]
) -> None:
    router = ScreenPopRouter(server, None)
    router.add_lookup("own-lookup@example.com")
    exchange(qtbot, server.name, encode_message({"version": 1, "request": customers[0].email}))

    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
        router.deliver_to(window)

    assert window.selected_customer() == customers[0]


def test_router_passes_later_requests_at_once(
    qtbot: QtBot, server: InstanceServer, window: MainWindow, customers: list[Customer]
) -> None:
    router = ScreenPopRouter(server, None)
    router.deliver_to(window)

    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
        exchange(qtbot, server.name, encode_message({"version": 1, "request": customers[1].email}))

    assert window.selected_customer() == customers[1]


def test_router_holds_while_window_closes(
    qtbot: QtBot, server: InstanceServer, window: MainWindow, customers: list[Customer]
) -> None:
    router = ScreenPopRouter(server, None)
    router.deliver_to(window)
    router.hold()

    with qtbot.assertNotEmitted(window.cart_shown, wait=300):
        exchange(qtbot, server.name, encode_message({"version": 1, "request": customers[1].email}))
    with qtbot.waitSignal(window.cart_shown, timeout=WAIT_MS):
        router.deliver_to(window)

    assert window.selected_customer() == customers[1]


def test_held_rejection_replaces_older_lookup(
    qtbot: QtBot, server: InstanceServer, window: MainWindow, customers: list[Customer]
) -> None:
    router = ScreenPopRouter(server, None)
    router.add_lookup(customers[0].email)
    exchange(qtbot, server.name, encode_message({"version": 1, "rejected": "too_long"}))

    with qtbot.waitSignal(window.failure_shown, timeout=WAIT_MS) as blocker:
        router.deliver_to(window)

    assert str(blocker.args[0]).startswith("The phone system sent a lookup over 1,000 characters.")
    with qtbot.assertNotEmitted(window.cart_shown, wait=500):
        pass
    assert window.selected_customer() is None
