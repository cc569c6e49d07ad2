"""Runs look-ups as asyncio tasks on the Qt loop and reports them as signals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from vp_desk.api.errors import ApiError
from vp_desk.api.identifiers import SearchQuery
from vp_desk.api.models import Customer, CustomerSortField, SortOrder
from vp_desk.api.queries import CustomerListQuery
from vp_desk.api.query_kinds import QueryKind
from vp_desk.api.retry import RetryNotice
from vp_desk.lookup import Freshness, LookupService, NotSavedError, is_outage
from vp_desk.ui.crash_dialog import crash_reporter
from vp_desk.ui.filter_bar import ListFilters
from vp_desk.ui.messages import error_message

logger = logging.getLogger("vp_desk.ui")

PROBE_DELAYS_SECONDS = (2.0, 4.0, 8.0, 15.0, 30.0)
"""Waits between checks whether the server is back; the last one repeats."""

CART_SEND_WAIT_SECONDS = 0.02
"""The maximum wait of a found customer, before it is shown, for its cart request to leave.

Writing a request took under a millisecond in the benchmarks. The client's own rate limit may
hold a request for longer, and the customer is then shown without waiting for it."""


class LookupController(QObject):
    """Starts searches, page loads and cart loads as tasks, and tracks offline mode.

    A newer request of a kind cancels the older one. Cancelling the task aborts its HTTP
    request, so superseded searches free their connections at once, and their late responses
    can never reach the window. While the server is out of reach, a background probe checks
    with growing waits whether it is back.

    Signals:
        search_started(): a search or page load began.
        page_loaded(CustomerPage): a page of the customer list arrived.
        customer_found(Customer): an id, phone or email look-up found its customer.
        search_failed(str): a search or page load failed; the text is for the agent.
        cart_loaded(UUID, Cart | None): the cart of that customer arrived.
        cart_failed(UUID, str): the cart of that customer could not be loaded.
        offline_changed(bool, datetime | None): offline mode began, with the saving time
            of the data on screen if any, or ended.
    """

    search_started = Signal()
    page_loaded = Signal(object)
    customer_found = Signal(object)
    search_failed = Signal(str)
    cart_loaded = Signal(object, object)
    cart_failed = Signal(object, str)
    offline_changed = Signal(bool, object)

    def __init__(
        self,
        service: LookupService,
        parent: QObject | None = None,
        *,
        probe_delays: tuple[float, ...] = PROBE_DELAYS_SECONDS,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._search_task: asyncio.Task[None] | None = None
        self._cart_task: asyncio.Task[None] | None = None
        self._cart_customer: Customer | None = None
        self._probe_task: asyncio.Task[None] | None = None
        self._probe_delays = probe_delays
        self._last_query: SearchQuery | None = None
        self._offline = False
        self._filters = ListFilters()
        self._sort = (CustomerSortField.NAME, SortOrder.ASC)

    @property
    def service(self) -> LookupService:
        """The lookup service that the controller's tasks call."""
        return self._service

    @property
    def last_query(self) -> SearchQuery | None:
        """The most recent search, to repeat it on refresh."""
        return self._last_query

    @property
    def offline(self) -> bool:
        """Whether the server is out of reach and results come from saved data."""
        return self._offline

    def search(self, query: SearchQuery, page_size: int) -> None:
        """Look up one customer, or the first page of a free-text search."""
        self._last_query = query
        # Announced first, because the request starts at once and may end before this returns.
        self.search_started.emit()
        if query.kind == QueryKind.TEXT:
            work = self._load_page(query.value, 0, page_size)
        else:
            work = self._find(query)
        self._search_task = self._restart(self._search_task, work)

    def load_page(self, offset: int, page_size: int) -> None:
        """Load another page of the current free-text search; other searches have no pages."""
        query = self._last_query
        if query is not None and query.kind != QueryKind.TEXT:
            return
        search_term = query.value if query is not None else ""
        self.search_started.emit()
        self._search_task = self._restart(
            self._search_task, self._load_page(search_term, offset, page_size)
        )

    def cancel_search(self) -> None:
        """Cancel the running search or page load, whose result must no longer appear."""
        if self._search_task is not None and not self._search_task.done():
            self._search_task.cancel()

    def set_list_options(
        self,
        filters: ListFilters,
        sort_by: CustomerSortField,
        sort_order: SortOrder,
        page_size: int,
    ) -> None:
        """Filter and sort the list on the server, and load its first page again.

        An id, phone or email look-up has no list, so it keeps its result until the next
        free-text search.
        """
        self._filters = filters
        self._sort = (sort_by, sort_order)
        query = self._last_query
        if query is None or query.kind == QueryKind.TEXT:
            self.load_page(0, page_size)

    def _list_query(self, search_term: str) -> CustomerListQuery:
        sort_by, sort_order = self._sort
        return CustomerListQuery(
            search_term=search_term,
            phone_verified=self._filters.phone_verified,
            email_verified=self._filters.email_verified,
            created_from=self._filters.created_from,
            created_to=self._filters.created_to,
            sort_by=sort_by,
            sort_order=sort_order,
        )

    def load_cart(self, customer: Customer) -> None:
        """Load the cart of the customer that is now selected, and save both.

        A load of the same customer's cart that is still running is kept, not started again.
        """
        self._start_cart(customer, None)

    def _start_cart(
        self, customer: Customer, on_sent: Callable[[], None] | None
    ) -> asyncio.Task[None] | None:
        """Start loading ``customer``'s cart and return its task, or None if one runs."""
        running = self._cart_task is not None and not self._cart_task.done()
        if running and self._cart_customer == customer:
            return None
        self._cart_customer = customer
        self._cart_task = self._restart(self._cart_task, self._load_cart(customer, on_sent))
        return self._cart_task

    async def aclose(self) -> None:
        """Cancel every running task and wait until they have ended."""
        tasks = [
            task
            for task in (self._search_task, self._cart_task, self._probe_task)
            if task is not None
        ]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _restart(
        self, running: asyncio.Task[None] | None, work: Coroutine[Any, Any, None]
    ) -> asyncio.Task[None]:
        if running is not None and not running.done():
            running.cancel()
        # The task runs at once up to its first wait instead of at the next turn of the event
        # loop. httpx still passes a few turns before it writes the request, and Qt paints
        # what the caller has changed before the next of them.
        return asyncio.Task(work, loop=asyncio.get_event_loop(), eager_start=True)

    async def _find(self, query: SearchQuery) -> None:
        async def fetch() -> object:
            result = await self._service.find_customer(query)
            self._note_freshness(result.freshness)
            # The window opens a sole result at once, so its cart is requested now. Qt paints
            # the changes of the window before a task takes its next step, so the customer is
            # announced only once the cart's request is written: the server then works on it
            # while Qt paints the customer, instead of after.
            sent = asyncio.Event()
            cart_task = self._start_cart(result.customer, sent.set)
            if cart_task is not None:
                await _first_done(sent, cart_task, CART_SEND_WAIT_SECONDS)
            return result.customer

        await self._report(
            fetch,
            self.customer_found.emit,
            lambda error: self.search_failed.emit(error_message(error, query)),
        )

    async def _load_page(self, search_term: str, offset: int, page_size: int) -> None:
        async def fetch() -> object:
            query = self._list_query(search_term)
            result = await self._service.list_customers(query, limit=page_size, offset=offset)
            self._note_freshness(result.freshness)
            return result.page

        await self._report(
            fetch,
            self.page_loaded.emit,
            lambda error: self.search_failed.emit(error_message(error)),
        )

    async def _load_cart(self, customer: Customer, on_sent: Callable[[], None] | None) -> None:
        async def fetch() -> object:
            result = await self._service.get_cart(customer, on_sent=on_sent)
            self._note_freshness(result.freshness)
            return result.cart

        await self._report(
            fetch,
            lambda cart: self.cart_loaded.emit(customer.id, cart),
            lambda error: self.cart_failed.emit(customer.id, error_message(error)),
        )

    async def _report(
        self,
        fetch: Callable[[], Awaitable[object]],
        on_result: Callable[[object], object],
        on_error: Callable[[BaseException], object],
    ) -> None:
        try:
            result = await fetch()
        except ApiError as error:
            logger.info("Look-up failed: %s", type(error).__name__)
            outage = error.outage if isinstance(error, NotSavedError) else error
            if is_outage(outage):
                self._set_offline(True, None)
            on_error(error)
            return
        except Exception as error:
            # A bug must not take the window down, and the agent must still learn that the
            # look-up failed. The crash dialog logs the error and carries the details.
            crash_reporter.report(error)
            on_error(error)
            return
        on_result(result)

    def _note_freshness(self, freshness: Freshness) -> None:
        if freshness.stale:
            self._set_offline(True, freshness.saved_at)
        elif self._offline:
            self._set_offline(False, None)

    def _set_offline(self, offline: bool, saved_at: datetime | None) -> None:
        was_offline = self._offline
        self._offline = offline
        if offline and (self._probe_task is None or self._probe_task.done()):
            self._probe_task = asyncio.ensure_future(self._probe_until_online())
        if offline or was_offline:
            self.offline_changed.emit(offline, saved_at)

    async def _probe_until_online(self) -> None:
        attempt = 0
        while self._offline:
            delay = self._probe_delays[min(attempt, len(self._probe_delays) - 1)]
            await asyncio.sleep(delay)
            attempt += 1
            if await self._service.probe():
                logger.info("The server responds again after %d checks", attempt)
                self._set_offline(False, None)
                return


class RetryNotifier(QObject):
    """Carries the client's retry notices into Qt, for the status bar.

    The client is built before any window, so it reports to this object, which the window
    connects to once it exists.

    Signals:
        retrying(RetryNotice): a request failed and is sent again after a wait.
    """

    retrying = Signal(object)

    def report(self, notice: RetryNotice) -> None:
        """Pass ``notice`` on as the ``retrying`` signal."""
        self.retrying.emit(notice)


async def _first_done(event: asyncio.Event, task: asyncio.Task[None], seconds: float) -> None:
    """Wait until ``event`` is set, ``task`` has ended, or ``seconds`` have passed."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter, task}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
