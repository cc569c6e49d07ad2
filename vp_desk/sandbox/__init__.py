"""Local HTTP implementation of the Customers API with generated demo data."""

from vp_desk.sandbox.app import create_app
from vp_desk.sandbox.controls import (
    RequestLogEntry,
    SandboxControls,
    SandboxRequest,
    key_id,
)
from vp_desk.sandbox.data import (
    SHOWCASE_CUSTOMERS,
    CustomerRecord,
    Dataset,
    ShowcaseCustomer,
    Store,
    generate_dataset,
)
from vp_desk.sandbox.database import ListCriteria, SandboxDatabase
from vp_desk.sandbox.ratelimit import DEFAULT_RATE_LIMIT, RateLimit
from vp_desk.sandbox.server import SandboxServer, SandboxStartError

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "SHOWCASE_CUSTOMERS",
    "CustomerRecord",
    "Dataset",
    "ListCriteria",
    "RateLimit",
    "RequestLogEntry",
    "SandboxControls",
    "SandboxDatabase",
    "SandboxRequest",
    "SandboxServer",
    "SandboxStartError",
    "ShowcaseCustomer",
    "Store",
    "create_app",
    "generate_dataset",
    "key_id",
]
