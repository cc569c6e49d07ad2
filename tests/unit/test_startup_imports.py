"""What the start of the app loads before its window paints, and what it leaves for later."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)


def run_fresh(code: str) -> str:
    """Run ``code`` in a new interpreter, so that no module of this test run is loaded."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


LIBRARIES = (
    "asyncio",
    "cryptography",
    "email_validator",
    "httpx",
    "keyring",
    "phonenumbers",
    "pydantic",
    "qasync",
    "sqlite3",
)
"""What the start loads only once its window has painted."""


def test_app_import_loads_no_library() -> None:
    output = run_fresh(
        f"""
        import sys
        import vp_desk.app
        print([name for name in {LIBRARIES!r} if name in sys.modules])
        """
    )

    assert output == "[]"


def start_app(tmp_path: Path, wait_wrapper: str) -> str:
    """Run vp_desk.app.main([]) in a new interpreter with ``wait_wrapper`` in place of the
    app's wait_for_first_paint, and return what the process printed.

    ``wait_wrapper`` is the source of ``wrapper(wait, widget, *arguments)``, where ``wait`` is
    the real function. The single-instance socket and the log folder are in ``tmp_path``.
    """
    instance_name = str(tmp_path / "vp-desk")
    return run_fresh(
        f"""
        import os
        import sys

        os.environ.update(
            QT_QPA_PLATFORM="offscreen",
            VP_DESK_INSTANCE_NAME={instance_name!r},
            XDG_STATE_HOME={str(tmp_path / "state")!r},
        )
        import vp_desk.app

{textwrap.indent(textwrap.dedent(wait_wrapper), " " * 8)}
        wait = vp_desk.app.wait_for_first_paint
        vp_desk.app.wait_for_first_paint = lambda *arguments: wrapper(wait, *arguments)
        print("exit", vp_desk.app.main([]), "vp_desk.session" in sys.modules)
        """
    )


def test_window_paints_before_libraries_load(tmp_path: Path) -> None:
    # The first paint ends the start here, before the session that reads the profile.
    output = start_app(
        tmp_path,
        f"""
        def wrapper(wait, widget, *arguments):
            painted = wait(widget, *arguments)
            loaded = [name for name in {LIBRARIES!r} if name in sys.modules]
            print(type(widget).__name__, painted, loaded, flush=True)
            os._exit(0)
        """,
    )

    assert output == "MainWindow True []"


def test_window_closed_before_paint_ends_start(tmp_path: Path) -> None:
    output = start_app(
        tmp_path,
        """
        def wrapper(wait, widget, *arguments):
            widget.close()
            return wait(widget, *arguments)
        """,
    )

    assert output == "exit 0 False"
    # Its records are info lines only, which do not justify loading the logging setup.
    assert not (tmp_path / "state").exists()


def test_email_rules_load_on_request() -> None:
    output = run_fresh(
        """
        import sys
        from vp_desk.api.identifiers import load_email_rules
        load_email_rules()
        print("email_validator" in sys.modules)
        """
    )

    assert output == "True"


def test_client_pool_built_on_prepare() -> None:
    output = run_fresh(
        """
        import asyncio
        import sys
        from vp_desk.api.client import CustomersClient

        client = CustomersClient("http://127.0.0.1:9", "sk_test_key")
        before = "httpcore" in sys.modules
        client.prepare()
        after = "httpcore" in sys.modules
        asyncio.run(client.aclose())
        print(before, after)
        """
    )

    assert output == "False True"


def test_validators_built_on_request() -> None:
    output = run_fresh(
        """
        from vp_desk.api import models

        pending, wire_models = [models.WireModel], []
        while pending:
            subclasses = pending.pop().__subclasses__()
            pending.extend(subclasses)
            wire_models.extend(subclasses)
        before = {model.__pydantic_complete__ for model in wire_models}
        models.build_validators()
        after = {model.__pydantic_complete__ for model in wire_models}
        print(len(wire_models), before, after)
        """
    )

    count, before, after = output.split(" ", 2)
    assert int(count) >= 10
    assert before == "{False}"
    assert after == "{True}"


def test_warm_up_after_first_paint() -> None:
    output = run_fresh(
        """
        import asyncio
        import os
        import sys

        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QDeadlineTimer
        from PySide6.QtWidgets import QApplication, QMainWindow

        from vp_desk.api import models
        from vp_desk.api.client import CustomersClient
        from vp_desk.session import _after_first_paint

        def loaded():
            return [
                "httpcore" in sys.modules,
                "email_validator" in sys.modules,
                models.CartEnvelope.__pydantic_complete__,
            ]

        app = QApplication([])
        window = QMainWindow()
        client = CustomersClient("http://127.0.0.1:9", "sk_test_key")
        _after_first_paint(window, client)
        before = loaded()
        window.show()
        deadline = QDeadlineTimer(10_000)
        while not all(loaded()) and not deadline.hasExpired():
            app.processEvents()
        print(before, loaded())
        asyncio.run(client.aclose())
        """
    )

    assert output == "[False, False, False] [True, True, True]"


def test_warm_up_steps_take_separate_turns() -> None:
    # A zero timer queued by the first step must run before the second step, so that a key
    # pressed during the warm-up waits for one step only.
    output = run_fresh(
        """
        import asyncio
        import os
        import sys

        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QDeadlineTimer, QTimer
        from PySide6.QtWidgets import QApplication, QMainWindow

        from vp_desk.api.client import CustomersClient
        from vp_desk.session import _after_first_paint

        app = QApplication([])
        window = QMainWindow()
        client = CustomersClient("http://127.0.0.1:9", "sk_test_key")
        seen = []
        prepare = client.prepare

        def prepare_and_queue():
            prepare()
            QTimer.singleShot(0, lambda: seen.append("email_validator" in sys.modules))

        client.prepare = prepare_and_queue
        _after_first_paint(window, client)
        window.show()
        deadline = QDeadlineTimer(10_000)
        while "email_validator" not in sys.modules and not deadline.hasExpired():
            app.processEvents()
        app.processEvents()
        print(seen)
        asyncio.run(client.aclose())
        """
    )

    assert output == "[False]"
