"""vp-desk: look up store customers and their carts while a caller is on the line."""

# A literal rather than importlib.metadata, whose import costs about 50 ms of every start.
# tests/unit/test_version.py keeps it equal to the version in pyproject.toml.
__version__ = "0.1.0"
