"""Log records of the start, held until logging is configured and then passed on."""

from __future__ import annotations

import logging
from collections.abc import Callable


class EarlyLogRecords(logging.Handler):
    """A handler on the root logger that keeps each record until replay().

    Configuring logging loads pydantic and the phone metadata, which the start leaves until
    the window has painted. Until then, the records of the single-instance guard wait here.
    """

    def __init__(self, *, debug: bool) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.replayed = False
        root = logging.getLogger()
        self._previous_level = root.level
        root.addHandler(self)
        # Below WARNING, loggers drop records before they reach any handler.
        root.setLevel(logging.DEBUG if debug else logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def has_warnings(self) -> bool:
        """Return whether a held record is a warning or worse."""
        return any(record.levelno >= logging.WARNING for record in self.records)

    def replay(self, configure: Callable[[], object] | None = None) -> None:
        """Stop holding, call ``configure``, and pass each held record to the handlers then.

        ``configure`` runs after this handler is gone, so that its own records go straight
        to the handlers that it sets up.
        """
        # Not release(), which logging.Handler calls after each record to free its lock.
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self._previous_level)
        self.replayed = True
        if configure is not None:
            configure()

        for record in self.records:
            logger = logging.getLogger(record.name)
            if logger.isEnabledFor(record.levelno):
                logger.handle(record)
        self.records.clear()
