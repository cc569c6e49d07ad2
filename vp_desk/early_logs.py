"""Log records of the start, held until logging is configured and then passed on."""

from __future__ import annotations

import logging


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
        root.addHandler(self)
        # Below WARNING, loggers drop records before they reach any handler.
        root.setLevel(logging.DEBUG if debug else logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def replay(self) -> None:
        """Stop holding, and pass each held record to the handlers configured by now."""
        # Not release(), which logging.Handler calls after each record to free its lock.
        logging.getLogger().removeHandler(self)
        self.replayed = True
        for record in self.records:
            logger = logging.getLogger(record.name)
            if logger.isEnabledFor(record.levelno):
                logger.handle(record)
        self.records.clear()
