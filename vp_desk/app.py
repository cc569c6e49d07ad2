"""Entry point: command line, hand-over to a running window, and the first paint of the window."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from vp_desk.early_logs import EarlyLogRecords
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.single_instance import (
    InstanceServer,
    ListenOutcome,
    default_server_name,
    send_rejection_to_running_instance,
    send_to_running_instance,
)
from vp_desk.ui.window_start import (
    START_REPORT_VARIABLE,
    ScreenPopRouter,
    wait_for_first_paint,
)

if TYPE_CHECKING:
    from vp_desk.screen_pop import ScreenPopError
    from vp_desk.ui.link_events import LinkOpenFilter

# Everything this module imports is Qt, the standard library's lighter modules or vp-desk's
# own Qt-only helpers, so that the window paints about as soon as a bare Qt window would.
# vp_desk.session, imported once it has painted, loads pydantic, httpx, the keyring and the
# rest.


class _VersionAction(argparse.Action):
    """Print the version; reading it from the package metadata waits until it is asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        from vp_desk import __version__

        print(f"vp-desk {__version__}")
        parser.exit()


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Read the command line; the API key is never one of its options."""
    parser = argparse.ArgumentParser(
        prog="vp-desk",
        description="Look up store customers and their carts while a caller is on the line.",
    )
    parser.add_argument("--version", action=_VersionAction)
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
    if (arguments.query is not None or arguments.region) and not arguments.demo:
        parser.error("--query and --region are for demo mode: add --demo")
    if arguments.query is not None and not arguments.query.strip():
        parser.error("--query is empty: give the text to search for, such as --query rossi")
    if arguments.screenshot is not None and not arguments.query:
        parser.error("--screenshot needs --query TEXT")
    if arguments.screenshot is not None:
        problem = _screenshot_problem(arguments.screenshot)
        if problem is not None:
            parser.error(problem)
    if arguments.region and not _is_known_region(arguments.region):
        parser.error(f"--region {arguments.region} is not a known region code, such as GB or US")
    return arguments


def _screenshot_problem(path: str) -> str | None:
    """Return why a smoke run could not save its screenshot to ``path``, or None."""
    if not path.lower().endswith(".png"):
        return f"--screenshot {path} must name a .png file, such as window.png"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"--screenshot {path}: the folder {folder} does not exist; choose one that does"
    return None


def _is_known_region(region: str) -> bool:
    # Only a demo start names a region, so the others need not load the phone metadata.
    from vp_desk.config import is_known_region

    return is_known_region(region)


def _display_available() -> bool:
    # Without a display, Qt's xcb plugin aborts the process with a message that blames a
    # missing library, so the real cause is printed instead.
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    """Run the desktop application and return its exit status."""
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    early_logs = EarlyLogRecords(debug=arguments.debug)
    try:
        return _start(arguments, early_logs)
    finally:
        if not early_logs.replayed:
            # No session configured logging, as in a start that failed to hand its request
            # over. Its warnings go to the log, but loading the logging setup for the info
            # records of a start that ends at once would cost more than they tell.
            if early_logs.has_warnings():
                from vp_desk.logs import configure_logging

                early_logs.replay(lambda: configure_logging(debug=arguments.debug))
            else:
                early_logs.replay()


def _start(arguments: argparse.Namespace, early_logs: EarlyLogRecords) -> int:
    if not _display_available():
        print(
            "vp-desk: no display found. Run it in a desktop session; for smoke mode without "
            "a display, set QT_QPA_PLATFORM=offscreen.",
            file=sys.stderr,
        )
        return 1

    rejection = None if arguments.lookup is None else _check_lookup(arguments.lookup)

    # Smoke runs are scripted and independent, so they never join a running window.
    instance_name = None if arguments.screenshot else _instance_name(arguments.demo)
    if instance_name and _hand_over(arguments.lookup, rejection, instance_name):
        return 2 if rejection else 0

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("vp-desk")
    app.setQuitOnLastWindowClosed(False)

    links = _link_filter(app)
    server = InstanceServer(instance_name) if instance_name else None
    if server is not None and server.listen() == ListenOutcome.ANOTHER_INSTANCE:
        # Another vp-desk started at the same moment and won; hand the request to it.
        if _hand_over(arguments.lookup, rejection, instance_name):
            return 2 if rejection else 0
        print("vp-desk: another vp-desk is running but does not respond.", file=sys.stderr)
        return 1

    screen_pops = ScreenPopRouter(server, links)
    if arguments.lookup is not None:
        # Older than any request that a later start sends while this window loads.
        screen_pops.add_lookup(arguments.lookup)
    try:
        window = MainWindow()
        window.show()
        if wait_for_first_paint(window):
            if os.environ.get(START_REPORT_VARIABLE) == "1":
                print(f"first-paint {time.monotonic():.6f}", flush=True)
            # The imports below keep Qt from painting until they end, so the note is
            # painted before them.
            window.show_starting_note()
            wait_for_first_paint(window.statusBar())
        if window.closed_before_opening:
            return 0

        # The libraries load only now that the window is on screen.
        from vp_desk.session import run_session

        return run_session(app, window, arguments, screen_pops=screen_pops, early_logs=early_logs)
    finally:
        if server is not None:
            server.close()


def _link_filter(app: QApplication) -> LinkOpenFilter | None:
    # Only macOS hands links to a running app as file-open events. Elsewhere the filter would
    # only add a Python call to every event of every widget.
    if sys.platform != "darwin":
        return None
    from vp_desk.ui.link_events import LinkOpenFilter

    links = LinkOpenFilter(app)
    app.installEventFilter(links)
    return links


def _check_lookup(text: str) -> ScreenPopError | None:
    """Return why the text of --lookup is rejected before it reaches a window, or None."""
    from vp_desk.screen_pop import ScreenPopError, check_request_text

    try:
        check_request_text(text)
    except ScreenPopError as error:
        # This line goes to the phone system's log, and the window shows the agent why.
        print(f"vp-desk: --lookup rejected: {error.detail}", file=sys.stderr)
        return error
    return None


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


if __name__ == "__main__":
    raise SystemExit(main())
