"""Composition root: command line, QApplication, qasync loop, and the wiring of the window."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import qasync
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from vp_desk import __version__
from vp_desk.api.client import CustomersClient
from vp_desk.api.identifiers import default_region_from_locale
from vp_desk.config import (
    Profile,
    is_known_region,
    load_settings,
    save_settings,
    settings_path,
)
from vp_desk.credentials import KeyringCredentials, KeyringUnavailableError
from vp_desk.lookup import LookupService
from vp_desk.ui.connection_dialog import ConnectionDialog
from vp_desk.ui.controller import LookupController
from vp_desk.ui.crash_dialog import crash_reporter
from vp_desk.ui.main_window import MainWindow

logger = logging.getLogger("vp_desk")

SMOKE_TIMEOUT_SECONDS = 30.0
DEMO_CUSTOMERS = 10_000


def tr(text: str) -> str:
    """Translate ``text`` in the ``app`` context."""
    return QCoreApplication.translate("app", text)


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


@dataclass(frozen=True)
class Connection:
    """The profile the window works with and the key for its store."""

    profile: Profile
    api_key: str = field(repr=False)


def _display_available() -> bool:
    # Without a display, Qt's xcb plugin aborts the process with a message that blames a
    # missing library; say what is really wrong instead.
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    """Run the desktop application and return its exit status."""
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO if arguments.debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    if not _display_available():
        print(
            "vp-desk: no display found. Run it in a desktop session; for smoke mode without "
            "a display, set QT_QPA_PLATFORM=offscreen.",
            file=sys.stderr,
        )
        return 1

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("vp-desk")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)

    return asyncio.run(_run(arguments), loop_factory=lambda: qasync.QEventLoop(app))


async def _run(arguments: argparse.Namespace) -> int:
    crash_reporter.install(asyncio.get_running_loop())
    demo_sandbox = _demo_sandbox(arguments.region) if arguments.demo else contextlib.nullcontext()
    with demo_sandbox as demo:
        connection = demo if demo is not None else await _connection_from_settings()
        if connection is None:
            return 0

        service = LookupService(CustomersClient(connection.profile.base_url, connection.api_key))
        controller = LookupController(service)
        window = MainWindow(
            controller,
            profile_name=connection.profile.name,
            base_url=connection.profile.base_url,
            default_region=connection.profile.default_region,
        )
        try:
            window.show()
            if arguments.screenshot:
                return await _take_screenshot(window, arguments.query, arguments.screenshot)
            if arguments.query:
                window.search_bar.set_text(arguments.query)
                window.search_bar.submit()
            await _until_closed(window)
            return 0
        finally:
            window.hide()
            await controller.aclose()
            await service.aclose()
            window.deleteLater()


@contextlib.contextmanager
def _demo_sandbox(region: str | None) -> Iterator[Connection]:
    # Imported here so that a normal start does not load the server stack.
    from vp_desk.sandbox.data import generate_dataset
    from vp_desk.sandbox.server import SandboxServer

    dataset = generate_dataset(customers=DEMO_CUSTOMERS)
    store = dataset.stores[0]
    with SandboxServer(dataset) as server:
        profile = Profile(
            name=tr("Demo: {store}").format(store=store.name),
            base_url=server.base_url,
            default_region=region or _system_region(),
        )
        yield Connection(profile=profile, api_key=store.api_key)


def _system_region() -> str:
    return default_region_from_locale(QLocale.system().name())


async def _connection_from_settings() -> Connection | None:
    path = settings_path()
    settings = load_settings(path)
    profile = settings.profile(settings.active_profile)
    credentials = KeyringCredentials()

    key = None
    if profile is not None:
        try:
            key = credentials.get_key(profile.name)
        except KeyringUnavailableError as error:
            logger.warning("The keyring cannot be read: %s", error)
    if profile is not None and key:
        return Connection(profile=profile, api_key=key)

    dialog = ConnectionDialog(profile, _system_region())
    if await _run_dialog(dialog) != QDialog.DialogCode.Accepted:
        return None
    entered = dialog.profile()
    assert entered is not None
    save_settings(settings.with_profile(entered), path)

    try:
        credentials.set_key(entered.name, dialog.api_key())
    except KeyringUnavailableError as error:
        logger.warning("The keyring cannot store the API key: %s", error)
        QMessageBox.warning(
            None,
            tr("Keyring unavailable"),
            tr(
                "The operating system's keyring cannot store the API key, so vp-desk keeps it "
                "for this session only and will ask again at the next start."
            ),
        )
    return Connection(profile=entered, api_key=dialog.api_key())


async def _run_dialog(dialog: QDialog) -> int:
    # QDialog.exec() would start a nested event loop inside a coroutine; open() does not.
    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(lambda result: finished.done() or finished.set_result(result))
    dialog.open()
    return await finished


async def _until_closed(window: MainWindow) -> None:
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    window.closed.connect(lambda: closed.done() or closed.set_result(None))
    await closed


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
