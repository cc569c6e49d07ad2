"""vp-desk: look up store customers and their carts while a caller is on the line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vp-desk")
except PackageNotFoundError:  # A source tree that was never installed, as in a frozen build.
    __version__ = "0.0.0"
