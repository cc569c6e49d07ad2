"""The app once its window has painted: event loop, profile, services and the window's content."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import qasync
from PySide6.QtCore import QByteArray, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from vp_desk import __version__
from vp_desk.api.client import CustomersClient
from vp_desk.api.identifiers import load_email_rules
from vp_desk.api.models import build_validators
from vp_desk.early_logs import EarlyLogRecords
from vp_desk.logs import configure_logging
from vp_desk.lookup import LookupService
from vp_desk.offline import OfflineStore
from vp_desk.ui.controller import LookupController, RetryNotifier
from vp_desk.ui.crash_dialog import crash_reporter
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.privacy import PrivacyOptions
from vp_desk.ui.profile_sources import (
    Connection,
    ProfileSource,
    demo_profiles,
    saved_profiles,
)
from vp_desk.ui.window_start import START_REPORT_VARIABLE, FirstPaintWatch, ScreenPopRouter

SMOKE_TIMEOUT_SECONDS = 30.0
PURGE_INTERVAL_SECONDS = 3600.0
"""How often saved lookups past their retention are deleted while the app runs."""


def run_session(
    app: QApplication,
    window: MainWindow,
    arguments: argparse.Namespace,
    *,
    screen_pops: ScreenPopRouter,
    early_logs: EarlyLogRecords,
) -> int:
    """Open the profile in ``window``, shown and empty, and run until the agent quits.

    ``screen_pops`` sends the screen pops, the app's own --lookup included, to the window
    that can search, and ``early_logs`` passes its records on once logging is configured.
    """
    early_logs.replay(lambda: configure_logging(debug=arguments.debug))
    app.setApplicationVersion(__version__)
    return asyncio.run(
        _run(arguments, window, screen_pops), loop_factory=lambda: qasync.QEventLoop(app)
    )


async def _run(
    arguments: argparse.Namespace,
    window: MainWindow,
    screen_pops: ScreenPopRouter,
) -> int:
    crash_reporter.install(asyncio.get_running_loop())
    profiles = demo_profiles(arguments.region) if arguments.demo else saved_profiles()
    with profiles as source:
        profile_name: str | None = None
        while True:
            connection = await source.connection(profile_name, window)
            # Qt may deliver a close of the empty window only now, after the imports.
            if connection is None or window.closed_before_opening:
                return 0
            outcome = await _run_window(connection, source, arguments, window, screen_pops)
            if outcome.exit_code is not None:
                return outcome.exit_code
            profile_name = outcome.next_profile
            window = MainWindow()
            if outcome.geometry is not None:
                window.restoreGeometry(outcome.geometry)


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
    window: MainWindow,
    screen_pops: ScreenPopRouter | None = None,
) -> WindowOutcome:
    """Open ``connection``'s profile in ``window`` and run it until it closes or hands over.

    ``screen_pops`` sends screen pops to this window while it is open, and keeps them again
    once it closes.
    """
    store = connection.open_offline_store()
    purging = asyncio.ensure_future(_purge_hourly(store))

    notifier = RetryNotifier()
    client = CustomersClient(
        connection.profile.base_url, connection.api_key, on_retry=notifier.report
    )
    service = LookupService(client, store)
    controller = LookupController(service)

    window.open_profile(
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
    try:
        _after_first_paint(window.content(), client)
        window.show()

        if arguments.screenshot:
            code = await _take_screenshot(window, arguments.query, arguments.screenshot)
            return WindowOutcome(exit_code=code)
        if arguments.query:
            window.search_bar.set_text(arguments.query)
            window.search_bar.submit()
        if screen_pops is not None:
            screen_pops.deliver_to(window)
        return await _until_done(window, source)
    finally:
        if screen_pops is not None:
            screen_pops.hold()
        window.hide()
        purging.cancel()
        await controller.aclose()
        await service.aclose()
        window.deleteLater()


def _after_first_paint(content: QWidget, client: CustomersClient) -> None:
    """Load what the first look-up needs once ``content`` is on screen, not before.

    The client's connection pool, the email validator and the validators of the wire models
    take tens of milliseconds to load, which the search bar need not wait for. With
    VP_DESK_REPORT_START=1 in the environment, print "ready SECONDS" and leave with
    os._exit(0) instead, so that no clean-up is timed.
    """
    if os.environ.get(START_REPORT_VARIABLE) == "1":
        content.installEventFilter(FirstPaintWatch(content, _report_ready))
    else:
        content.installEventFilter(FirstPaintWatch(content, lambda: _warm_up(client)))


def _warm_up(client: CustomersClient) -> None:
    # Each step runs in its own turn of the event loop, so that a key pressed meanwhile
    # waits for one step at most, not for all of them.
    steps: list[Callable[[], None]] = [client.prepare, load_email_rules, build_validators]

    def run_next() -> None:
        steps.pop(0)()
        if steps:
            QTimer.singleShot(0, run_next)

    run_next()


def _report_ready() -> None:
    print(f"ready {time.monotonic():.6f}", flush=True)
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


async def _take_screenshot(window: MainWindow, query: str, path: str) -> int:
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
    if not window.grab().save(path, "PNG"):
        print(
            f"vp-desk: could not write the screenshot to {path}; check that its folder is "
            "writable and the disk is not full",
            file=sys.stderr,
        )
        return 1
    print(f"vp-desk: saved {path}")
    return 0
