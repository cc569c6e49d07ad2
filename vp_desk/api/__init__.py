"""Customers API client: wire models, typed errors, search-input classification."""

import sys

# httpx imports its command-line module at import time, which loads click and, where they are
# installed, rich and pygments. In the development environment that was 80 of the 428 ms that
# importing the app's libraries took (python -X importtime). vp-desk never runs that command
# line. httpx falls back to a stub when the module cannot be imported, and a None entry in
# sys.modules makes the import fail without loading anything.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
