"""Runs look-ups as asyncio tasks on the Qt loop and reports them as signals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

from PySide6.QtCore import QObject, Signal

from vp_desk.api.errors import ApiError
from vp_desk.api.identifiers import QueryKind, SearchQuery
from vp_desk.lookup import LookupService
from vp_desk.ui.crash_dialog import crash_reporter
from vp_desk.ui.messages import error_message

logger = logging.getLogger("vp_desk.ui")


class LookupController(QObject):
    """Starts searches, page loads and cart loads as tasks.

    A newer request of a kind cancels the older one. Cancelling the task aborts its HTTP
    request, so superseded searches free their connections at once, and their late responses
    can never reach the window.

    Signals:
        search_started(): a search or page load began.
        page_loaded(CustomerPage): a page of the customer list arrived.
        customer_found(Customer): an id, phone or email look-up found its customer.
        search_failed(str): a search or page load failed; the text is for the agent.
        cart_loaded(UUID, Cart | None): the cart of that customer arrived.
        cart_failed(UUID, str): the cart of that customer could not be loaded.
    """

    search_started = Signal()
    page_loaded = Signal(object)
    customer_found = Signal(object)
    search_failed = Signal(str)
    cart_loaded = Signal(object, object)
    cart_failed = Signal(object, str)

    def __init__(self, service: LookupService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._search_task: asyncio.Task[None] | None = None
        self._cart_task: asyncio.Task[None] | None = None
        self._search_term = ""
        self._last_query: SearchQuery | None = None

    @property
    def service(self) -> LookupService:
        """The lookup service that the controller's tasks call."""
        return self._service

    @property
    def last_query(self) -> SearchQuery | None:
        """The most recent search, to repeat it on refresh."""
        return self._last_query

    def search(self, query: SearchQuery, page_size: int) -> None:
        """Look up one customer, or the first page of a free-text search."""
        self._last_query = query
        if query.kind == QueryKind.TEXT:
            self._search_term = query.value
            self._search_task = self._restart(
                self._search_task, self._load_page(query.value, 0, page_size)
            )
        else:
            self._search_task = self._restart(self._search_task, self._find(query))
        self.search_started.emit()

    def load_page(self, offset: int, page_size: int) -> None:
        """Load another page of the current free-text search."""
        self._search_task = self._restart(
            self._search_task, self._load_page(self._search_term, offset, page_size)
        )
        self.search_started.emit()

    def load_cart(self, customer_id: UUID) -> None:
        """Load the cart of the customer that is now selected."""
        self._cart_task = self._restart(self._cart_task, self._load_cart(customer_id))

    async def aclose(self) -> None:
        """Cancel every running task and wait until they have ended."""
        tasks = [task for task in (self._search_task, self._cart_task) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _restart(
        self, running: asyncio.Task[None] | None, work: Awaitable[None]
    ) -> asyncio.Task[None]:
        if running is not None and not running.done():
            running.cancel()
        return asyncio.ensure_future(work)

    async def _find(self, query: SearchQuery) -> None:
        await self._report(
            lambda: self._service.find_customer(query),
            self.customer_found.emit,
            lambda error: self.search_failed.emit(error_message(error, query)),
        )

    async def _load_page(self, search_term: str, offset: int, page_size: int) -> None:
        await self._report(
            lambda: self._service.list_customers(search_term, limit=page_size, offset=offset),
            self.page_loaded.emit,
            lambda error: self.search_failed.emit(error_message(error)),
        )

    async def _load_cart(self, customer_id: UUID) -> None:
        await self._report(
            lambda: self._service.get_cart(customer_id),
            lambda cart: self.cart_loaded.emit(customer_id, cart),
            lambda error: self.cart_failed.emit(customer_id, error_message(error)),
        )

    @staticmethod
    async def _report[ResultT](
        fetch: Callable[[], Awaitable[ResultT]],
        on_result: Callable[[ResultT], object],
        on_error: Callable[[BaseException], object],
    ) -> None:
        try:
            result = await fetch()
        except ApiError as error:
            logger.info("Look-up failed: %s", type(error).__name__)
            on_error(error)
            return
        except Exception as error:
            # A bug must not take the window down, and the agent must still learn that the
            # look-up failed; the crash dialog logs it and carries the details.
            crash_reporter.report(error)
            on_error(error)
            return
        on_result(result)
