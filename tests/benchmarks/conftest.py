"""Fixtures of the benchmarks: sandboxes in child processes, the qasync loop and the report."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.benchmarks.harness import (
    SANDBOX_SEED,
    WAIT_MS,
    SandboxProcess,
    WindowFactory,
    sandbox_process,
)
from tests.benchmarks.stats import BenchmarkReport, load_average, machine_facts
from vp_desk.api.client import CustomersClient
from vp_desk.api.models import Customer
from vp_desk.api.throttle import DEFAULT_REQUESTS_PER_SECOND
from vp_desk.lookup import LookupService
from vp_desk.sandbox.data import Dataset, generate_dataset
from vp_desk.ui.controller import LookupController
from vp_desk.ui.main_window import MainWindow

SANDBOX_CUSTOMERS = 10_000
"""Customers of the sandbox that most benchmarks use, as many as demo mode seeds."""

_REPORT_KEY = pytest.StashKey[BenchmarkReport]()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """Serve SANDBOX_CUSTOMERS customers from a child process for the whole session."""
    with sandbox_process(SANDBOX_CUSTOMERS, tmp_path_factory.mktemp("sandbox")) as running:
        yield running


@pytest.fixture(scope="session")
def sandbox_data() -> Dataset:
    """Return the data that ``sandbox`` serves, generated again from the same seed."""
    return generate_dataset(customers=SANDBOX_CUSTOMERS, seed=SANDBOX_SEED)


@pytest.fixture(scope="session")
def store_customers(sandbox_data: Dataset) -> list[Customer]:
    """Return the customers of the first store, whose API key the benchmarks use."""
    return list(sandbox_data.customers_of(sandbox_data.stores[0].id))


@pytest.fixture(scope="session")
def common_last_name(store_customers: list[Customer]) -> str:
    """Return the first store's most frequent last name, which over 100 customers share."""
    counts = Counter(customer.last_name for customer in store_customers if customer.last_name)
    name, count = counts.most_common(1)[0]
    assert count > 100, f"the most frequent last name {name!r} has only {count} customers"
    return name


@pytest.fixture(scope="session")
def qasync_loop(qapp: QApplication) -> qasync.QEventLoop:
    """Return the session's asyncio loop, which runs whenever Qt processes events.

    As in the widget tests, one loop serves the whole session, because a loop closed after
    each test crashes on timer events delivered to objects deleted with it.
    """
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


@pytest.fixture
def qt_loop(qasync_loop: qasync.QEventLoop) -> Iterator[qasync.QEventLoop]:
    """Make the qasync loop the running loop for one test, then cancel its remaining tasks.

    Only the tests that request it get a running loop, so that the others can call
    asyncio.run() in the same session.
    """
    asyncio.set_event_loop(qasync_loop)
    asyncio.events._set_running_loop(qasync_loop)
    yield qasync_loop
    for task in asyncio.all_tasks(qasync_loop):
        task.cancel()
    asyncio.events._set_running_loop(None)


@pytest.fixture
def open_window(qtbot: QtBot, qt_loop: qasync.QEventLoop) -> Iterator[WindowFactory]:
    """Build and show windows on a real client; close their clients after the test.

    The factory takes a SandboxProcess and the client's own request rate, which defaults to
    the application's.
    """
    controllers: list[LookupController] = []

    def build(
        running: SandboxProcess, *, requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND
    ) -> MainWindow:
        client = CustomersClient(
            running.base_url, running.api_key, requests_per_second=requests_per_second
        )
        controller = LookupController(LookupService(client))
        controllers.append(controller)
        window = MainWindow.for_profile(
            controller,
            profile_name="Benchmark store",
            base_url=running.base_url,
            default_region="GB",
        )
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield build

    for controller in controllers:
        closing = asyncio.ensure_future(_close(controller))
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)


async def _close(controller: LookupController) -> None:
    await controller.aclose()
    await controller.service.aclose()


@pytest.fixture(scope="session")
def report(request: pytest.FixtureRequest) -> BenchmarkReport:
    """Return the session's report, which the terminal summary prints again at the end."""
    config = request.config
    if _REPORT_KEY not in config.stash:
        config.stash[_REPORT_KEY] = BenchmarkReport()
    return config.stash[_REPORT_KEY]


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print every figure of the session with the machine that it was measured on."""
    collected = config.stash.get(_REPORT_KEY, None)
    if collected is None or not collected.figures:
        return

    import PySide6
    from PySide6.QtCore import qVersion

    terminalreporter.section("vp-desk benchmarks")
    for line in [
        f"date: {collected.started:%Y-%m-%d %H:%M} UTC",
        *machine_facts(),
        f"qt: {qVersion()}, PySide6 {PySide6.__version__}",
        f"load average at the start: {collected.load_at_start}, at the end: {load_average()}",
    ]:
        terminalreporter.write_line(line)
    for figure in collected.figures:
        terminalreporter.write_line("")
        terminalreporter.write_line(figure.render())
