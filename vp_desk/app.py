"""Composition root: command line, QApplication, qasync loop, and the wiring of the window."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import qasync
from PySide6.QtCore import QByteArray, QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from vp_desk import __version__
from vp_desk.api.client import CustomersClient
from vp_desk.api.identifiers import load_email_rules
from vp_desk.api.models import build_validators
from vp_desk.config import is_known_region
from vp_desk.logs import configure_logging
from vp_desk.lookup import LookupService
from vp_desk.offline import OfflineStore
from vp_desk.screen_pop import ScreenPopError, check_request_text
from vp_desk.ui.controller import LookupController, RetryNotifier
from vp_desk.ui.crash_dialog import crash_reporter
from vp_desk.ui.link_events import LinkOpenFilter
from vp_desk.ui.main_window import MainWindow, PrivacyOptions
from vp_desk.ui.profile_sources import (
    Connection,
    ProfileSource,
    demo_profiles,
    saved_profiles,
)
from vp_desk.ui.single_instance import (
    InstanceServer,
    ListenOutcome,
    default_server_name,
    send_rejection_to_running_instance,
    send_to_running_instance,
)

logger = logging.getLogger("vp_desk")

SMOKE_TIMEOUT_SECONDS = 30.0
PURGE_INTERVAL_SECONDS = 3600.0
"""How often saved lookups past their retention are deleted while the app runs."""


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Read the command line; the API key is never one of its options."""
    parser = argparse.ArgumentParser(
        prog="vp-desk",
        description="Look up store customers and their carts while a caller is on the line.",
    )
    parser.add_argument("--version", action="version", version=f"vp-desk {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="serve demo customers from a built-in sandbox on 127.0.0.1; no keyring, no network",
    )
    parser.add_argument(
        "--query",
        metavar="TEXT",
        help="with --demo: search TEXT at start and open the first customer",
    )
    parser.add_argument(
        "--screenshot",
        metavar="FILE",
        type=Path,
        help="with --demo --query: save a PNG of the window once the cart is shown, then exit",
    )
    parser.add_argument(
        "--region",
        metavar="CC",
        type=str.upper,
        help="with --demo: the default phone region, such as GB (default: from the locale)",
    )
    parser.add_argument(
        "--lookup",
        metavar="TEXT",
        help="look TEXT (an id, phone, email or vpdesk: link) up in the running window, "
        "starting one if none runs; for phone systems",
    )
    parser.add_argument("--debug", action="store_true", help="log every request to stderr")
    arguments = parser.parse_args(argv)

    # Real customer data on a command line would stay in the shell history and in ps.
    if (arguments.query or arguments.region) and not arguments.demo:
        parser.error("--query and --region are for demo mode: add --demo")
    if arguments.screenshot and not arguments.query:
        parser.error("--screenshot needs --query TEXT")
    if arguments.region and not is_known_region(arguments.region):
        parser.error(f"--region {arguments.region} is not a known region code, such as GB or US")
    return arguments


def _display_available() -> bool:
    # Without a display, Qt's xcb plugin aborts the process with a message that blames a
    # missing library, so the real cause is printed instead.
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    """Run the desktop application and return its exit status."""
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    configure_logging(debug=arguments.debug)

    if not _display_available():
        print(
            "vp-desk: no display found. Run it in a desktop session; for smoke mode without "
            "a display, set QT_QPA_PLATFORM=offscreen.",
            file=sys.stderr,
        )
        return 1

    rejection: ScreenPopError | None = None
    if arguments.lookup is not None:
        try:
            check_request_text(arguments.lookup)
        except ScreenPopError as error:
            # This line goes to the phone system's log, and the window below shows the agent why.
            print(f"vp-desk: --lookup rejected: {error.detail}", file=sys.stderr)
            rejection = error

    # Smoke runs are scripted and independent, so they never join a running window.
    instance_name = None if arguments.screenshot else _instance_name(arguments.demo)
    if instance_name and _hand_over(arguments.lookup, rejection, instance_name):
        return 2 if rejection else 0

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("vp-desk")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)

    links = LinkOpenFilter(app)
    # Only macOS hands links to a running app as file-open events. Elsewhere the filter would
    # only add a Python call to every event of every widget.
    if sys.platform == "darwin":
        app.installEventFilter(links)
    server = InstanceServer(instance_name) if instance_name else None
    if server is not None and server.listen() == ListenOutcome.ANOTHER_INSTANCE:
        # Another vp-desk started at the same moment and won; hand the request to it.
        if _hand_over(arguments.lookup, rejection, instance_name):
            return 2 if rejection else 0
        print("vp-desk: another vp-desk is running but does not respond.", file=sys.stderr)
        return 1
    try:
        return asyncio.run(
            _run(arguments, server, links), loop_factory=lambda: qasync.QEventLoop(app)
        )
    finally:
        if server is not None:
            server.close()


def _hand_over(lookup: str | None, rejection: ScreenPopError | None, name: str) -> bool:
    """Pass the request, or only the reason it was rejected for, to a running window."""
    if rejection is not None:
        # A rejected text never leaves this process, so the window receives only the reason.
        return send_rejection_to_running_instance(rejection, name=name)
    return send_to_running_instance(lookup, name=name)


def _instance_name(demo: bool) -> str:
    # The demo runs beside the agent's real window without taking its screen pops. Tests set
    # VP_DESK_INSTANCE_NAME so that they never reach a window the developer has open.
    base = os.environ.get("VP_DESK_INSTANCE_NAME") or default_server_name()
    return base + ("-demo" if demo else "")


async def _run(
    arguments: argparse.Namespace, server: InstanceServer | None, links: LinkOpenFilter
) -> int:
    crash_reporter.install(asyncio.get_running_loop())
    profiles = demo_profiles(arguments.region) if arguments.demo else saved_profiles()
    with profiles as source:
        profile_name: str | None = None
        geometry: QByteArray | None = None
        while True:
            connection = await source.connection(profile_name)
            if connection is None:
                return 0
            outcome = await _run_window(connection, source, arguments, geometry, server, links)
            arguments.lookup = None
            if outcome.exit_code is not None:
                return outcome.exit_code
            profile_name, geometry = outcome.next_profile, outcome.geometry


@dataclass(frozen=True)
class WindowOutcome:
    """The end of a window: the exit code of the app, or the profile to open next."""

    exit_code: int | None = None
    next_profile: str | None = None
    geometry: QByteArray | None = None


async def _run_window(
    connection: Connection,
    source: ProfileSource,
    arguments: argparse.Namespace,
    geometry: QByteArray | None,
    server: InstanceServer | None,
    links: LinkOpenFilter | None = None,
) -> WindowOutcome:
    store = connection.open_offline_store()
    purging = asyncio.ensure_future(_purge_hourly(store))

    notifier = RetryNotifier()
    client = CustomersClient(
        connection.profile.base_url, connection.api_key, on_retry=notifier.report
    )
    service = LookupService(client, store)
    controller = LookupController(service)

    window = MainWindow(
        controller,
        profile_name=connection.profile.name,
        base_url=connection.profile.base_url,
        default_region=connection.profile.default_region,
        colour=connection.colour,
        profiles=source.profile_marks(),
        settings_enabled=not source.demo,
        recent_limit=connection.profile.recent_limit,
        privacy=PrivacyOptions(
            mask_contacts=connection.profile.mask_contacts,
            lock_minutes=connection.profile.lock_minutes,
            clipboard_clear_seconds=connection.profile.clipboard_clear_seconds,
        ),
    )

    notifier.retrying.connect(window.on_retry_notice)
    window.show_store_warning(store.warning)
    if connection.key_for_session_only:
        window.show_key_notice()
    if geometry is not None:
        window.restoreGeometry(geometry)
    try:
        window.show()
        _after_first_paint(window, client)
        # Connected before any branch, so that the clean-up below always has them to undo.
        if server is not None:
            server.lookup_requested.connect(window.handle_screen_pop)
            server.lookup_rejected.connect(window.show_rejected_screen_pop)
            server.activation_requested.connect(window.bring_to_front)
        if links is not None:
            links.link_opened.connect(window.handle_screen_pop)

        if arguments.screenshot:
            code = await _take_screenshot(window, arguments.query, arguments.screenshot)
            return WindowOutcome(exit_code=code)
        if arguments.query:
            window.search_bar.set_text(arguments.query)
            window.search_bar.submit()
        if arguments.lookup:
            window.handle_screen_pop(arguments.lookup)
        return await _until_done(window, source)
    finally:
        if links is not None:
            links.link_opened.disconnect(window.handle_screen_pop)
        if server is not None:
            server.lookup_requested.disconnect(window.handle_screen_pop)
            server.lookup_rejected.disconnect(window.show_rejected_screen_pop)
            server.activation_requested.disconnect(window.bring_to_front)
        window.hide()
        purging.cancel()
        await controller.aclose()
        await service.aclose()
        window.deleteLater()


def _after_first_paint(window: MainWindow, client: CustomersClient) -> None:
    """Load what the first look-up needs once the window is on screen, not before.

    The client's connection pool, the email validator and the validators of the wire models
    take tens of milliseconds to load, which the window need not wait for. With
    VP_DESK_EXIT_AFTER_FIRST_PAINT=1 in the environment, print "first-paint SECONDS" and exit
    0 instead: the start-up benchmarks time the frozen app and the source checkout to this
    line. SECONDS is time.monotonic(), the system-wide CLOCK_MONOTONIC on Linux. The exit is
    os._exit, so no clean-up runs.
    """
    if os.environ.get("VP_DESK_EXIT_AFTER_FIRST_PAINT") == "1":
        window.installEventFilter(_FirstPaintWatch(window, _report_first_paint))
    else:
        window.installEventFilter(_FirstPaintWatch(window, lambda: _warm_up(client)))


def _warm_up(client: CustomersClient) -> None:
    # Each step runs in its own turn of the event loop, so that a key pressed meanwhile
    # waits for one step at most, not for all of them.
    steps: list[Callable[[], None]] = [client.prepare, load_email_rules, build_validators]

    def run_next() -> None:
        steps.pop(0)()
        if steps:
            QTimer.singleShot(0, run_next)

    run_next()


class _FirstPaintWatch(QObject):
    """An event filter that calls ``then`` once its parent window's first paint has ended."""

    def __init__(self, window: QObject, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._then = then

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parent() and event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # The children paint after the window in the same pass, and a zero timer fires
            # once that pass and its flush to the backing store are done.
            QTimer.singleShot(0, self._then)
        return False


def _report_first_paint() -> None:
    print(f"first-paint {time.monotonic():.6f}", flush=True)
    os._exit(0)


SETTINGS_REQUEST = "\x00settings"
"""Stands for a request of the Settings dialog; no profile name contains a NUL character."""


async def _until_done(window: MainWindow, source: ProfileSource) -> WindowOutcome:
    """Wait until the window closes or another profile is to be opened."""
    while True:
        requested = await _next_request(window)
        if requested is None:
            return WindowOutcome(exit_code=0)
        if requested != SETTINGS_REQUEST:
            return WindowOutcome(next_profile=requested, geometry=window.saveGeometry())

        chosen = await source.edit_settings(window)
        if chosen is not None:
            return WindowOutcome(next_profile=chosen, geometry=window.saveGeometry())


async def _next_request(window: MainWindow) -> str | None:
    """Return the next profile the window requests, SETTINGS_REQUEST, or None when closed."""
    request: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def finish(value: str | None) -> None:
        if not request.done():
            request.set_result(value)

    connections = [
        window.closed.connect(lambda: finish(None)),
        window.profile_requested.connect(finish),
        window.settings_requested.connect(lambda: finish(SETTINGS_REQUEST)),
    ]
    try:
        return await request
    finally:
        for connection in connections:
            window.disconnect(connection)


async def _purge_hourly(store: OfflineStore) -> None:
    while True:
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
        store.purge()


class SmokeFailedError(Exception):
    """The smoke run could not show the customer and cart."""


async def _take_screenshot(window: MainWindow, query: str, path: Path) -> int:
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[None] = loop.create_future()

    def succeed(_customer_id: object) -> None:
        if not outcome.done():
            outcome.set_result(None)

    def fail(text: str) -> None:
        if not outcome.done():
            outcome.set_exception(SmokeFailedError(text))

    window.cart_shown.connect(succeed)
    window.failure_shown.connect(fail)
    # A list opens no customer by itself unless it has just one, so open the first.
    window.controller.page_loaded.connect(window.select_first_customer)
    window.search_bar.set_text(query)
    if not window.search_bar.submit():
        print(f"vp-desk: {window.search_bar.problem.text()}", file=sys.stderr)
        return 1

    try:
        await asyncio.wait_for(outcome, SMOKE_TIMEOUT_SECONDS)
    except SmokeFailedError as error:
        print(f"vp-desk: {error}", file=sys.stderr)
        return 1
    except TimeoutError:
        print(
            f"vp-desk: the customer and cart were not shown within {SMOKE_TIMEOUT_SECONDS:.0f} s",
            file=sys.stderr,
        )
        return 1

    # Let Qt lay out and paint the new rows before grabbing the window.
    await asyncio.sleep(0.2)
    if not window.grab().save(str(path), "PNG"):
        print(f"vp-desk: could not write the screenshot to {path}", file=sys.stderr)
        return 1
    print(f"vp-desk: saved {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
