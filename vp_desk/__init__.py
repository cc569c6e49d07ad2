"""vp-desk: look up store customers and their carts while a caller is on the line."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Reading the installed version loads importlib.metadata and the email package, 30 to
    # 60 ms by python -X importtime, which the start must not spend before the window paints.
    if name != "__version__":
        raise AttributeError(f"module 'vp_desk' has no attribute {name!r}")

    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("vp-desk")
    except PackageNotFoundError:  # A source tree that was never installed, as in a frozen build.
        found = "0.0.0"
    globals()["__version__"] = found
    return found
