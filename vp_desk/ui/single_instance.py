"""Single-instance guard: a second vp-desk hands its screen-pop request to the running one."""

from __future__ import annotations

import getpass
import logging
import os
import re
import stat
import struct
import sys
import time
import zlib
from collections.abc import Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QDir, QLockFile, QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

# The app listens and hands requests over before its window paints, so the reading of
# screen pops, which only a process with a request needs, is imported where it is used.
if TYPE_CHECKING:
    from vp_desk.screen_pop import ScreenPopError, ScreenPopReason

logger = logging.getLogger("vp_desk.ui")

PROTOCOL_VERSION = 1

MAX_MESSAGE_BYTES = 8 * 1024
"""Maximum size of a message's JSON body. A request of the longest allowed length, 1,000
code points of up to 4 bytes each, needs about 4 KB."""

CONNECTION_TIMEOUT_MS = 5000
"""How long the server waits for a connected process to send its whole message."""

MAX_CONNECTIONS = 8
"""Maximum number of connections the server serves at once; more are closed unread."""

LOCK_TIMEOUT_MS = 2000
PROBE_TIMEOUT_MS = 500

# Each message is a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
_HEADER = struct.Struct(">I")

# The path of a Unix socket must fit in sun_path: 108 bytes on Linux, 104 on macOS.
_MAX_SOCKET_PATH_BYTES = 100


class ListenOutcome(Enum):
    """The result of InstanceServer.listen."""

    LISTENING = "listening"
    """This process is the running instance and receives the requests of later ones."""

    ANOTHER_INSTANCE = "another_instance"
    """A live vp-desk already listens on the name: send the request to it and exit."""

    FAILED = "failed"
    """The name could not be taken; this process runs without the guard."""


class MessageError(ValueError):
    """A message between two vp-desk processes that breaks the protocol."""


def default_server_name() -> str:
    """Return the name that the running vp-desk of this user listens on.

    The name contains the user name and a checksum of the user id, user name and Windows
    domain, so that two users of one machine do not share it. On Unix it is a path in
    $XDG_RUNTIME_DIR when that folder is private to the user; otherwise Qt puts the socket in
    the temporary folder.
    """
    user = _user_name()
    uid = os.getuid() if sys.platform != "win32" else -1
    identity = "\0".join((str(uid), user, os.environ.get("USERDOMAIN", "")))
    # CRC-32 rather than a cryptographic hash: the name is no secret, a sender checks who owns
    # the socket, and hashlib would load OpenSSL, about 3 ms, before the window paints.
    digest = f"{zlib.crc32(identity.encode('utf-8', 'surrogatepass')):08x}"
    readable_user = re.sub(r"[^A-Za-z0-9_-]", "_", user)[:24] or "user"
    name = f"vp-desk-{readable_user}-{digest}"

    runtime_dir = _private_runtime_dir()
    if runtime_dir is None:
        return name
    path = os.path.join(runtime_dir, name)
    return path if len(os.fsencode(path)) <= _MAX_SOCKET_PATH_BYTES else name


def encode_message(payload: Mapping[str, object]) -> bytes:
    """Frame ``payload`` as a length-prefixed JSON message. Raises MessageError when too big."""
    # A start that finds no running vp-desk sends nothing, and its window paints without json.
    import json

    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_MESSAGE_BYTES:
        raise MessageError(f"{len(body)} bytes, the maximum is {MAX_MESSAGE_BYTES}")
    return _HEADER.pack(len(body)) + body


class RejectedRequest(NamedTuple):
    """A request that the sending process rejected itself, so that only its reason travels."""

    reason: ScreenPopReason


def decode_request(body: bytes) -> str | RejectedRequest | None:
    """Return the request of a message body, or None when it requests only the window.

    The body is ``{"version": 1, "request": TEXT}``, ``{"version": 1, "request": null}``, or
    ``{"version": 1, "rejected": REASON}`` for a request that the sender rejected because it
    was too long or contained control characters. Raises MessageError for anything else,
    and for text that is too long or contains control characters.
    """
    payload = _decode_object(body)
    if set(payload) == {"version", "rejected"}:
        _check_version(payload)
        return _decode_rejection(payload["rejected"])
    if set(payload) != {"version", "request"}:
        raise MessageError(f"expected the keys version and request, got {sorted(payload)[:4]}")
    _check_version(payload)

    from vp_desk.screen_pop import ScreenPopError, check_request_text

    request = payload["request"]
    if request is None:
        return None
    if not isinstance(request, str):
        raise MessageError(f"the request is a JSON {type(request).__name__}, not a string")
    try:
        check_request_text(request)
    except ScreenPopError as error:
        raise MessageError(error.detail) from error
    return request


def _decode_rejection(reason: object) -> RejectedRequest:
    from vp_desk.screen_pop import FORWARDED_REJECTIONS, ScreenPopReason

    if isinstance(reason, str) and reason in FORWARDED_REJECTIONS:
        return RejectedRequest(ScreenPopReason(reason))
    raise MessageError(f"unexpected rejection reason {str(reason)[:40]!r}")


def decode_reply(body: bytes) -> bool:
    """Return the accepted flag of a reply body from the running instance."""
    payload = _decode_object(body)
    _check_version(payload)
    accepted = payload.get("accepted")
    if not isinstance(accepted, bool):
        raise MessageError("the reply has no boolean accepted")
    return accepted


def _decode_object(body: bytes) -> dict[str, object]:
    import json

    def reject_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise MessageError("a key appears twice")
        return dict(pairs)

    try:
        payload = json.loads(body.decode("utf-8"), object_pairs_hook=reject_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise MessageError(f"the body is not UTF-8 JSON: {error}") from error
    if not isinstance(payload, dict):
        raise MessageError("the body is not a JSON object")
    return payload


def _check_version(payload: Mapping[str, object]) -> None:
    version = payload.get("version")
    # bool is a subclass of int, and true must not pass for 1.
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise MessageError(f"expected protocol version {PROTOCOL_VERSION}")


class InstanceServer(QObject):
    """The running vp-desk's end of the guard: receives the requests of later processes.

    Every read and write of the server is driven by the event loop, so serving another
    process never blocks the window. Each connection carries one message and gets one reply.

    Signals:
        lookup_requested(str): another process forwarded a request, as given on its
            command line; it passed the length and control-character checks of
            vp_desk.screen_pop, and the receiver still reads it with parse_screen_pop.
        activation_requested(): another process started without a request.
        lookup_rejected(ScreenPopReason): another process rejected its request, because it
            was too long or contained control characters, and sent only the reason.
    """

    lookup_requested = Signal(str)
    activation_requested = Signal()
    lookup_rejected = Signal(object)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name or default_server_name()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)
        self._connections: set[_Connection] = set()

    @property
    def name(self) -> str:
        """The server name, as passed to send_to_running_instance."""
        return self._name

    def is_listening(self) -> bool:
        """Return whether this process receives the requests of later ones."""
        return self._server.isListening()

    def listen(self) -> ListenOutcome:
        """Take the name unless a live vp-desk listens on it.

        A lock file keeps two processes that start at the same time from both taking the
        name. Call it after the QApplication exists. It may block for up to
        LOCK_TIMEOUT_MS + PROBE_TIMEOUT_MS, before any window is shown.
        """
        if self._server.isListening():
            return ListenOutcome.LISTENING

        lock = QLockFile(_lock_path(self._name))
        locked = lock.tryLock(LOCK_TIMEOUT_MS)
        if not locked:
            logger.warning(
                "The single-instance lock could not be taken (%s); listening without it",
                lock.error().name,
            )
        try:
            return self._listen_unless_running()
        finally:
            if locked:
                lock.unlock()

    def close(self) -> None:
        """Stop listening and drop the connections in progress."""
        self._server.close()
        for connection in list(self._connections):
            connection.abort()

    def _listen_unless_running(self) -> ListenOutcome:
        if not _socket_owned_by_user(self._name):
            logger.warning("The single-instance socket belongs to another user; not using it")
            return ListenOutcome.FAILED
        if _server_is_running(self._name):
            return ListenOutcome.ANOTHER_INSTANCE

        # A crashed vp-desk leaves its socket file behind on Unix, and no process listens on it.
        # Qt would replace the file anyway, but removing it also covers other socket options.
        if _socket_file_exists(self._name):
            logger.info("Removing the single-instance socket of a vp-desk that has ended")
        QLocalServer.removeServer(self._name)

        if not self._server.listen(self._name):
            logger.warning(
                "Cannot listen for other vp-desk processes: %s", self._server.errorString()
            )
            return ListenOutcome.FAILED
        logger.info("Listening for screen-pop requests of other vp-desk processes")
        return ListenOutcome.LISTENING

    def _on_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if len(self._connections) >= MAX_CONNECTIONS:
                logger.warning("Too many vp-desk processes connected at once; closing one")
                socket.abort()
                socket.deleteLater()
                continue
            self._connections.add(_Connection(socket, self._deliver, self._connections.discard))

    def _deliver(self, request: str | RejectedRequest | None) -> None:
        if isinstance(request, RejectedRequest):
            logger.info("Another vp-desk process rejected its screen pop: %s", request.reason.value)
            self.lookup_rejected.emit(request.reason)
            return
        if request is None:
            logger.info("Another vp-desk process asked for the window")
            self.activation_requested.emit()
            return
        logger.info("Received a screen-pop request from another vp-desk process")
        self.lookup_requested.emit(request)


class _Connection:
    """One connected process: reads its message, replies, then closes."""

    def __init__(
        self,
        socket: QLocalSocket,
        deliver: Callable[[str | RejectedRequest | None], None],
        finished: Callable[[_Connection], None],
    ) -> None:
        self._socket = socket
        self._deliver = deliver
        self._finished = finished
        self._buffer = bytearray()
        self._replied = False
        self._closed = False

        self._timer = QTimer(socket)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CONNECTION_TIMEOUT_MS)
        self._timer.timeout.connect(self._on_timeout)
        self._timer.start()

        socket.readyRead.connect(self._on_ready_read)
        socket.disconnected.connect(self._on_disconnected)
        if socket.bytesAvailable() > 0:
            self._on_ready_read()

    def abort(self) -> None:
        """Close the connection without a reply."""
        self._socket.abort()
        self._close()

    def _on_ready_read(self) -> None:
        if self._replied or self._closed:
            self._socket.readAll()
            return

        # Never keep more than one whole message plus one byte, which is enough to see
        # that a process sent too much.
        room = _HEADER.size + MAX_MESSAGE_BYTES + 1 - len(self._buffer)
        self._buffer += self._socket.read(room).data()
        if len(self._buffer) < _HEADER.size:
            return

        (length,) = _HEADER.unpack_from(self._buffer)
        if length == 0 or length > MAX_MESSAGE_BYTES:
            self._reject(f"a message of {length} bytes; the limit is {MAX_MESSAGE_BYTES}")
            return
        end = _HEADER.size + length
        if len(self._buffer) > end:
            self._reject("bytes after the end of the message")
            return
        if len(self._buffer) == end:
            self._read_message(bytes(self._buffer[_HEADER.size :]))

    def _read_message(self, body: bytes) -> None:
        try:
            request = decode_request(body)
        except MessageError as error:
            self._reject(str(error))
            return

        self._reply(accepted=True)
        self._deliver(request)

    def _reject(self, detail: str) -> None:
        logger.warning("Rejected a message from another vp-desk process: %s", detail)
        self._reply(accepted=False)

    def _reply(self, *, accepted: bool) -> None:
        self._replied = True
        self._timer.stop()
        if self._socket.state() != QLocalSocket.LocalSocketState.ConnectedState:
            # The other process has disconnected, so no reply is sent.
            return
        self._socket.write(encode_message({"version": PROTOCOL_VERSION, "accepted": accepted}))
        # flush() writes what the kernel takes without waiting, so a small reply leaves at
        # once, even when the event loop stops next. The socket closes after the rest.
        self._socket.flush()
        self._socket.disconnectFromServer()

    def _on_timeout(self) -> None:
        logger.warning("Another vp-desk process connected but sent no whole message in time")
        self.abort()

    def _on_disconnected(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self._socket.deleteLater()
        self._finished(self)


def send_to_running_instance(
    text: str | None, timeout_ms: int = 2000, *, name: str | None = None
) -> bool:
    """Hand ``text`` to the running vp-desk and return whether it accepted the request.

    None requests only that the running vp-desk bring its window to the front. This function
    blocks for up to ``timeout_ms``, so only a process without a window calls it. It needs
    no QCoreApplication. Raises ScreenPopError when ``text`` is too long or contains
    control characters, which the running vp-desk would reject.
    """
    if text is not None:
        from vp_desk.screen_pop import check_request_text

        check_request_text(text)
    return _send({"version": PROTOCOL_VERSION, "request": text}, timeout_ms, name)


def send_rejection_to_running_instance(
    error: ScreenPopError, timeout_ms: int = 2000, *, name: str | None = None
) -> bool:
    """Tell the running vp-desk that a request was rejected, so that its window shows why.

    Only the reason travels, never the rejected text. Returns whether a running vp-desk
    accepted the notice. Raises ValueError for a reason that the window never receives.
    """
    from vp_desk.screen_pop import FORWARDED_REJECTIONS

    if error.reason not in FORWARDED_REJECTIONS:
        raise ValueError(
            f"invalid rejection reason {error.reason.value!r}: only "
            f"{sorted(reason.value for reason in FORWARDED_REJECTIONS)} are sent"
        )
    return _send({"version": PROTOCOL_VERSION, "rejected": error.reason.value}, timeout_ms, name)


def _send(payload: Mapping[str, object], timeout_ms: int, name: str | None) -> bool:
    server_name = name or default_server_name()
    if not _socket_owned_by_user(server_name):
        logger.warning("The single-instance socket belongs to another user; not using it")
        return False

    deadline = time.monotonic() + timeout_ms / 1000
    socket = QLocalSocket()
    try:
        socket.connectToServer(server_name)
        if not socket.waitForConnected(_remaining_ms(deadline)):
            logger.info("No running vp-desk accepted the connection: %s", socket.errorString())
            return False
        socket.write(encode_message(payload))
        while socket.bytesToWrite() > 0:
            if not socket.waitForBytesWritten(_remaining_ms(deadline)):
                logger.warning("The request could not be sent: %s", socket.errorString())
                return False
        return _read_reply(socket, deadline)
    finally:
        socket.abort()


def _read_reply(socket: QLocalSocket, deadline: float) -> bool:
    buffer = bytearray()
    while True:
        buffer += socket.read(_HEADER.size + MAX_MESSAGE_BYTES + 1 - len(buffer)).data()
        if len(buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(buffer)
            if length > MAX_MESSAGE_BYTES:
                logger.warning("The running vp-desk sent a reply of %d bytes", length)
                return False
            if len(buffer) >= _HEADER.size + length:
                return _accepted(bytes(buffer[_HEADER.size : _HEADER.size + length]))

        connected = socket.state() == QLocalSocket.LocalSocketState.ConnectedState
        if not connected or time.monotonic() >= deadline:
            logger.warning("The running vp-desk did not reply in time")
            return False
        socket.waitForReadyRead(_remaining_ms(deadline))


def _accepted(body: bytes) -> bool:
    try:
        accepted = decode_reply(body)
    except MessageError as error:
        logger.warning("The running vp-desk sent an invalid reply: %s", error)
        return False
    if not accepted:
        logger.warning("The running vp-desk rejected the request")
    return accepted


def _remaining_ms(deadline: float) -> int:
    return max(1, int((deadline - time.monotonic()) * 1000))


def _server_is_running(name: str) -> bool:
    # The kernel accepts a connection to a listening socket even while the other process is
    # busy, so the probe returns quickly whatever that process does.
    probe = QLocalSocket()
    try:
        probe.connectToServer(name)
        return probe.waitForConnected(PROBE_TIMEOUT_MS)
    finally:
        probe.abort()


def _user_name() -> str:
    try:
        return getpass.getuser()
    except OSError:
        # A container may run under a user id with no name.
        return "user"


def _private_runtime_dir() -> str | None:
    """Return $XDG_RUNTIME_DIR when it is a folder that only this user can open."""
    if sys.platform == "win32":
        return None
    path = os.environ.get("XDG_RUNTIME_DIR", "")
    if not os.path.isabs(path):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    private = info.st_uid == os.getuid() and not info.st_mode & 0o077
    return path if stat.S_ISDIR(info.st_mode) and private else None


def _socket_path(name: str) -> str | None:
    """Return the file of a Unix socket name, as Qt places it, or None on Windows."""
    if sys.platform == "win32":
        return None
    return name if os.path.isabs(name) else os.path.join(QDir.tempPath(), name)


def _socket_file_exists(name: str) -> bool:
    path = _socket_path(name)
    return path is not None and os.path.lexists(path)


def _socket_owned_by_user(name: str) -> bool:
    """Return False when the socket file of ``name`` exists and another user owns it.

    In a shared temporary folder another user could create the file first; connecting to it
    would hand them the caller's phone number.
    """
    path = _socket_path(name)
    if path is None or sys.platform == "win32":
        return True
    try:
        return os.lstat(path).st_uid == os.getuid()
    except OSError:
        # No file yet, or one that cannot be read; Qt reports what it finds on connecting.
        return True


def _lock_path(name: str) -> str:
    path = _socket_path(name)
    if path is None:
        return os.path.join(QDir.tempPath(), f"{name}.lock")
    return f"{path}.lock"
