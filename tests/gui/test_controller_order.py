"""The order in which the controller announces a found customer and requests the cart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS
from vp_desk.api.identifiers import parse_query
from vp_desk.api.models import Customer
from vp_desk.lookup import CartResult, CustomerResult
from vp_desk.sandbox.data import Dataset
from vp_desk.ui.controller import CART_SEND_WAIT_SECONDS, LookupController


class ScriptedService:
    """A lookup service that finds one customer at once and writes the cart request later.

    With ``writes`` False, the request is never written, as when the client's rate limit
    delays it.
    """

    def __init__(self, customer: Customer, *, writes: bool) -> None:
        self._customer = customer
        self._writes = writes
        self.events: list[str] = []

    async def find_customer(self, _query: object) -> CustomerResult:
        return CustomerResult(self._customer)

    async def get_cart(
        self, _customer: Customer, *, on_sent: Callable[[], None] | None = None
    ) -> CartResult:
        # A real request passes several turns of the event loop before it is written.
        for _ in range(3):
            await asyncio.sleep(0)
        if self._writes:
            self.events.append("cart request written")
            if on_sent is not None:
                on_sent()
        await asyncio.sleep(0.2)
        self.events.append("cart received")
        return CartResult(None)


def search_by_email(qtbot: QtBot, service: ScriptedService, customer: Customer) -> float:
    """Search ``customer``'s email and return the seconds until the customer is announced."""
    controller = LookupController(service)  # type: ignore[arg-type]
    controller.customer_found.connect(lambda _customer: service.events.append("customer found"))
    started = time.monotonic()
    with qtbot.waitSignal(controller.customer_found, timeout=WAIT_MS):
        controller.search(parse_query(str(customer.email), "GB"), 25)
    announced = time.monotonic() - started
    qtbot.waitSignal(controller.cart_loaded, timeout=WAIT_MS).wait()
    return announced


def customer_with_email(dataset: Dataset) -> Customer:
    customers = dataset.customers_of(dataset.stores[0].id)
    return next(customer for customer in customers if customer.email)


def test_customer_announced_after_cart_request_written(
    qtbot: QtBot, sandbox_dataset: Dataset
) -> None:
    customer = customer_with_email(sandbox_dataset)
    service = ScriptedService(customer, writes=True)

    search_by_email(qtbot, service, customer)

    assert service.events[:2] == ["cart request written", "customer found"]


def test_customer_announced_when_cart_request_is_held(
    qtbot: QtBot, sandbox_dataset: Dataset
) -> None:
    customer = customer_with_email(sandbox_dataset)
    service = ScriptedService(customer, writes=False)

    announced = search_by_email(qtbot, service, customer)

    assert service.events[0] == "customer found"
    assert announced < CART_SEND_WAIT_SECONDS + 0.15
