"""Log records of the start, held until logging is configured."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from vp_desk.early_logs import EarlyLogRecords


class ListHandler(logging.Handler):
    """A handler that keeps the messages it receives."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """Return the root logger at WARNING, with its level and handlers put back after."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.WARNING)
    yield root
    root.setLevel(level)
    root.handlers[:] = handlers


def test_records_wait_for_replay(root_logger: logging.Logger) -> None:
    early = EarlyLogRecords(debug=False)
    logging.getLogger("vp_desk.ui").info("Listening for screen-pop requests")
    configured = ListHandler()

    def configure() -> None:
        root_logger.addHandler(configured)
        root_logger.setLevel(logging.INFO)

    early.replay(configure)

    assert configured.messages == ["Listening for screen-pop requests"]
    assert early.replayed
    assert early not in root_logger.handlers


def test_configure_records_pass_once(root_logger: logging.Logger) -> None:
    early = EarlyLogRecords(debug=False)
    logging.getLogger("vp_desk.ui").warning("The running vp-desk did not reply in time")
    configured = ListHandler()

    def configure() -> None:
        root_logger.addHandler(configured)
        logging.getLogger("vp_desk.app").warning("Logging to stderr only")

    early.replay(configure)

    assert configured.messages == [
        "Logging to stderr only",
        "The running vp-desk did not reply in time",
    ]


def test_replay_restores_root_level(root_logger: logging.Logger) -> None:
    early = EarlyLogRecords(debug=True)
    assert root_logger.level == logging.DEBUG

    early.replay()

    assert root_logger.level == logging.WARNING


def test_debug_records_only_with_debug(root_logger: logging.Logger) -> None:
    quiet = EarlyLogRecords(debug=False)
    logging.getLogger("vp_desk.ui").debug("socket state")
    held_without_debug = list(quiet.records)
    quiet.replay()

    verbose = EarlyLogRecords(debug=True)
    logging.getLogger("vp_desk.ui").debug("socket state")
    held_with_debug = [record.getMessage() for record in verbose.records]
    verbose.replay()

    assert held_without_debug == []
    assert held_with_debug == ["socket state"]


def test_warnings_among_held_records(root_logger: logging.Logger) -> None:
    early = EarlyLogRecords(debug=False)
    logging.getLogger("vp_desk.ui").info("No running vp-desk accepted the connection")
    only_info = early.has_warnings()
    logging.getLogger("vp_desk.ui").warning("The running vp-desk did not reply in time")
    with_warning = early.has_warnings()
    early.replay()

    assert not only_info
    assert with_warning


def test_replayed_records_respect_configured_level(root_logger: logging.Logger) -> None:
    early = EarlyLogRecords(debug=False)
    logging.getLogger("vp_desk.ui").info("Listening for screen-pop requests")
    logging.getLogger("vp_desk.ui").warning("The running vp-desk did not reply in time")
    configured = ListHandler()

    early.replay(lambda: root_logger.addHandler(configured))

    assert configured.messages == ["The running vp-desk did not reply in time"]
