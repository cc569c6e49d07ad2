"""Local HTTP implementation of the Customers API with generated demo data."""

from vp_desk.sandbox.app import RateLimit, create_app
from vp_desk.sandbox.data import (
    SHOWCASE_CUSTOMERS,
    CustomerRecord,
    Dataset,
    ShowcaseCustomer,
    Store,
    generate_dataset,
)
from vp_desk.sandbox.database import SandboxDatabase
from vp_desk.sandbox.server import SandboxServer, SandboxStartError

__all__ = [
    "SHOWCASE_CUSTOMERS",
    "CustomerRecord",
    "Dataset",
    "RateLimit",
    "SandboxDatabase",
    "SandboxServer",
    "SandboxStartError",
    "ShowcaseCustomer",
    "Store",
    "create_app",
    "generate_dataset",
]
