"""The vp-desk-sandbox command: serve the sandbox in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import math
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType

from vp_desk.net import is_loopback_host
from vp_desk.sandbox.data import MAX_CUSTOMERS, Dataset, Store, generate_dataset
from vp_desk.sandbox.ratelimit import DEFAULT_BURST, DEFAULT_REQUESTS_PER_SECOND, RateLimit
from vp_desk.sandbox.server import SandboxServer, SandboxStartError, TlsFiles

# Named explicitly because the module runs as __main__ under python -m.
logger = logging.getLogger("vp_desk.sandbox.cli")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_CUSTOMERS = 10_000
DEFAULT_SEED = 1
_STOP_POLL_SECONDS = 0.2


def _bounded_integer(name: str, minimum: int, maximum: int) -> Callable[[str], int]:
    """Return an argparse type that accepts integers from minimum to maximum."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid {name} {text!r}: expected an integer from {minimum} to {maximum}"
            ) from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"invalid {name} {value}: expected an integer from {minimum} to {maximum}"
            )
        return value

    return parse


def _bounded_number(name: str, minimum: float, maximum: float) -> Callable[[str], float]:
    """Return an argparse type that accepts decimal numbers from minimum to maximum."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"invalid {name} {text!r}: expected a number from {minimum:g} to {maximum:g}"
            )
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the vp-desk-sandbox command line."""
    parser = argparse.ArgumentParser(
        prog="vp-desk-sandbox",
        description=(
            "Serve a local Customers API with generated demo data until interrupted "
            "(Ctrl+C or SIGTERM). Prints the base URL and each store's API keys."
        ),
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on; only loopback unless --allow-remote (default: {DEFAULT_HOST})",
    )
    parser.add_argument(
        "--port",
        type=_bounded_integer("port", 0, 65535),
        default=DEFAULT_PORT,
        help=f"TCP port to listen on, 0 for any free port (default: {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--customers",
        type=_bounded_integer("customer count", 1, MAX_CUSTOMERS),
        default=DEFAULT_CUSTOMERS,
        help=(
            f"number of customers across both stores, 1 to {MAX_CUSTOMERS} "
            f"(default: {DEFAULT_CUSTOMERS})"
        ),
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=(
            "random seed; the same seed gives the same ids, keys and data "
            f"(default: {DEFAULT_SEED})"
        ),
    )
    parser.add_argument(
        "--write-keys",
        type=Path,
        metavar="FILE",
        help="also write the base URL and store keys to FILE as JSON, readable by the owner only",
    )
    parser.add_argument(
        "--rate-limit",
        type=_bounded_number("rate limit", 0, 1_000_000),
        default=DEFAULT_REQUESTS_PER_SECOND,
        metavar="RPS",
        help=(
            "requests per second that each private API key may send on average, 0 for no "
            f"limit; excess requests get 429 (default: {DEFAULT_REQUESTS_PER_SECOND:g})"
        ),
    )
    parser.add_argument(
        "--burst",
        type=_bounded_integer("burst", 1, 1_000_000),
        default=DEFAULT_BURST,
        metavar="N",
        help=(
            "requests that a key may send at once before the rate applies "
            f"(default: {DEFAULT_BURST})"
        ),
    )
    parser.add_argument(
        "--latency",
        type=_bounded_number("latency", 0, 600_000),
        default=0.0,
        metavar="MS",
        help="milliseconds to wait before responding to each request (default: 0)",
    )
    parser.add_argument(
        "--fail-rate",
        type=_bounded_number("fail rate", 0, 1),
        default=0.0,
        metavar="P",
        help="share of requests, from 0 to 1, that get 503 SERVICE_UNAVAILABLE (default: 0)",
    )
    parser.add_argument(
        "--tls-cert",
        type=Path,
        metavar="FILE",
        help=(
            "serve HTTPS with this PEM certificate, or certificate chain, which --tls-key "
            "must match; the base URL then starts with https://"
        ),
    )
    parser.add_argument(
        "--tls-key",
        type=Path,
        metavar="FILE",
        help="PEM private key of --tls-cert, not protected by a password",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that other machines can reach; anyone there can read the demo data",
    )
    return parser


def keys_document(base_url: str, stores: Sequence[Store]) -> dict[str, object]:
    """Return the JSON document that --write-keys writes."""
    return {
        "baseUrl": base_url,
        "stores": [
            {
                "id": str(store.id),
                "name": store.name,
                "apiKey": store.api_key,
                "publicKey": store.public_key,
            }
            for store in stores
        ],
    }


def write_keys_file(path: Path, base_url: str, stores: Sequence[Store]) -> None:
    """Write the keys document to ``path`` with mode 0600, replacing the file in one step.

    The document goes to a temporary file in the same folder first, so a reader never sees a
    half-written file.
    """
    text = json.dumps(keys_document(base_url, stores), indent=2, ensure_ascii=False) + "\n"
    # mkstemp creates the file with mode 0600 whatever the umask.
    descriptor, temporary_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary_name)
        raise


def _print_summary(server: SandboxServer, dataset: Dataset, seed: int) -> None:
    # The base URL is what vp-desk's connection settings and the keys file take; the API
    # itself lives under /api/v1 of it.
    print(
        f"Sandbox Customers API at {server.base_url}/api/v1 "
        f"({len(dataset.customers)} customers, seed {seed})"
    )
    print(f"Base URL for vp-desk: {server.base_url}")
    for store in dataset.stores:
        count = len(dataset.customers_of(store.id))
        print(f"Store: {store.name} ({count} customers)")
        print(f"  id:         {store.id}")
        print(f"  API key:    {store.api_key}")
        print(f"  public key: {store.public_key}")


def _print_controls(rate_limit: RateLimit | None, latency_ms: float, fail_rate: float) -> None:
    if rate_limit is None:
        print("Rate limit: off")
    else:
        print(
            f"Rate limit: {rate_limit.requests_per_second:g} requests per second per API key, "
            f"bursts of up to {rate_limit.burst}"
        )
    if latency_ms > 0:
        print(f"Added latency: {latency_ms:g} ms per request")
    if fail_rate > 0:
        print(f"Fail rate: {fail_rate:g} (this share of requests gets 503)")
    print("Press Ctrl+C to stop.", flush=True)


class _StopRequest:
    """Flag that the signal handler sets.

    A plain attribute, because a handler that took a lock, as Event.set and logging do,
    could deadlock when the signal interrupts the main thread while it owns that lock.
    """

    def __init__(self) -> None:
        self.requested = False


@contextlib.contextmanager
def _stop_on_signals(stop: _StopRequest) -> Iterator[None]:
    """Set the stop flag on SIGINT or SIGTERM while the block runs, then restore the handlers."""

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        del signal_number, frame
        stop.requested = True

    previous = {
        signal_number: signal.signal(signal_number, request_stop)
        for signal_number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signal_number, handler in previous.items():
            signal.signal(signal_number, handler)


def main(argv: list[str] | None = None) -> int:
    """Run the vp-desk-sandbox command and return its exit status.

    Returns 0 after SIGINT or SIGTERM, 1 when the server cannot start or the keys file cannot
    be written, and exits with 2 on invalid arguments.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    if not is_loopback_host(args.host):
        if not args.allow_remote:
            parser.error(
                f"--host {args.host} is not a loopback address; add --allow-remote to serve "
                "the demo data to other machines."
            )
        print(
            f"Warning: serving on {args.host}; other machines can read the demo data with "
            "the printed keys.",
            file=sys.stderr,
        )

    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together: give both, or neither for HTTP")
    tls = None if args.tls_cert is None else TlsFiles(args.tls_cert, args.tls_key)

    rate_limit = None if args.rate_limit == 0 else RateLimit(args.rate_limit, args.burst)
    dataset = generate_dataset(args.customers, args.seed)
    server = SandboxServer(
        dataset,
        args.host,
        args.port,
        allow_remote=args.allow_remote,
        rate_limit=rate_limit,
        latency=args.latency / 1000,
        fail_rate=args.fail_rate,
        tls=tls,
    )
    stop = _StopRequest()
    with _stop_on_signals(stop):
        try:
            server.start()
        except SandboxStartError as exc:
            print(f"vp-desk-sandbox: {exc}", file=sys.stderr)
            return 1
        # The dataset lives as long as the process, so the garbage collector need never walk
        # it again.  At 100 000 customers one full pass took 1.5 s on a 2-core machine.
        gc.freeze()

        try:
            _print_summary(server, dataset, args.seed)
            _print_controls(rate_limit, args.latency, args.fail_rate)
            if args.write_keys is not None and not _try_write_keys(
                args.write_keys, server, dataset.stores
            ):
                return 1
            while not stop.requested:
                time.sleep(_STOP_POLL_SECONDS)
            logger.info("Stopping the sandbox at %s", server.base_url)
        finally:
            server.stop()
    return 0


def _try_write_keys(path: Path, server: SandboxServer, stores: Sequence[Store]) -> bool:
    try:
        write_keys_file(path, server.base_url, stores)
    except OSError as exc:
        print(f"vp-desk-sandbox: cannot write the keys file {path}: {exc}", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
