"""Timing, summaries, memory and machine facts for the benchmarks; free of Qt."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Summary:
    """Median, 95th percentile and maximum of one set of samples, in the samples' unit."""

    name: str
    count: int
    median: float
    p95: float
    maximum: float

    def row(self, unit: str) -> str:
        """Return the summary as one aligned line of a table."""
        return (
            f"  {self.name:52} {self.median:9.2f} {self.p95:9.2f} {self.maximum:9.2f} {unit}"
            f"  (n={self.count})"
        )


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` quantile (0 to 1), interpolated between the closest ranks."""
    if not samples:
        raise ValueError("percentile() needs at least one sample.")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}.")

    ordered = sorted(samples)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def summarize(name: str, samples: Sequence[float]) -> Summary:
    """Return the median, p95 and maximum of ``samples``."""
    return Summary(
        name=name,
        count=len(samples),
        median=statistics.median(samples),
        p95=percentile(samples, 0.95),
        maximum=max(samples),
    )


def elapsed_ms(started: float) -> float:
    """Return the milliseconds since ``started``, a time.perf_counter() reading."""
    return (time.perf_counter() - started) * 1000


def alternate[Key, Sample](
    keys: list[Key],
    *,
    rounds: int,
    warm_up: int,
    measure: Callable[[Key, int], Sample],
    between: Callable[[], object] | None = None,
) -> dict[Key, list[Sample]]:
    """Run ``measure(key, i)`` for each key once per round i and return the samples per key.

    The order turns each round, so that a change of the machine's load during the run, or a
    cache that the first call warms for the next, weighs on all keys alike. The first
    ``warm_up`` rounds are not recorded. ``between`` runs untimed after each round, for
    example to stay under a rate limit.
    """
    samples: dict[Key, list[Sample]] = {key: [] for key in keys}
    for index in range(warm_up + rounds):
        shift = index % len(keys)
        for key in keys[shift:] + keys[:shift]:
            sample = measure(key, index)
            if index >= warm_up:
                samples[key].append(sample)
        if between is not None:
            between()
    return samples


def measure_pair(
    figure: Callable[[int], object],
    reference: Callable[[int], object],
    *,
    rounds: int,
    warm_up: int,
) -> tuple[list[float], list[float]]:
    """Time ``figure(i)`` and ``reference(i)`` alternately and return both lists in ms.

    Every other round starts with the reference, as alternate() runs them.
    """
    operations = {"figure": figure, "reference": reference}

    def timed(key: str, index: int) -> float:
        started = time.perf_counter()
        operations[key](index)
        return elapsed_ms(started)

    samples = alternate(list(operations), rounds=rounds, warm_up=warm_up, measure=timed)
    return samples["figure"], samples["reference"]


async def measure_pair_async(
    figure: Callable[[int], Awaitable[object]],
    reference: Callable[[int], Awaitable[object]],
    *,
    rounds: int,
    warm_up: int,
    between: Callable[[], Awaitable[object]] | None = None,
) -> tuple[list[float], list[float]]:
    """Await ``figure(i)`` and ``reference(i)`` alternately, as measure_pair() calls them.

    ``between`` runs untimed after each round, for example to stay under a rate limit.
    """
    figure_ms: list[float] = []
    reference_ms: list[float] = []
    for index in range(warm_up + rounds):
        order = [(figure, figure_ms), (reference, reference_ms)]
        if index % 2:
            order.reverse()
        for operation, samples in order:
            started = time.perf_counter()
            await operation(index)
            duration = elapsed_ms(started)
            if index >= warm_up:
                samples.append(duration)
        if between is not None:
            await between()
    return figure_ms, reference_ms


def resident_mib() -> float:
    """Return this process's resident set size in MiB, from /proc/self/statm (Linux only)."""
    fields = Path("/proc/self/statm").read_text(encoding="ascii").split()
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages as the text that uptime shows."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def cpu_model() -> str:
    """Return the CPU's model name from /proc/cpuinfo, or platform.processor() without it."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def os_name() -> str:
    """Return PRETTY_NAME from /etc/os-release, or platform.platform() without that file."""
    try:
        lines = Path("/etc/os-release").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return platform.platform()


def machine_facts() -> list[str]:
    """Return lines that name the machine, OS and Python that the figures come from."""
    return [
        f"machine: {os.cpu_count()} cores, {cpu_model()}",
        f"os: {os_name()}, kernel {platform.release()}",
        f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
    ]


@dataclass
class Figure:
    """One measured figure beside its reference, with its target and whether it was met."""

    title: str
    lines: list[str]
    met: bool | None
    """None for a figure without a target."""

    def render(self) -> str:
        """Return the figure as a titled block of text."""
        return "\n".join([f"== {self.title}", *self.lines])


@dataclass
class BenchmarkReport:
    """The figures of one session, printed after each test and again at the end."""

    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    load_at_start: str = field(default_factory=load_average)
    figures: list[Figure] = field(default_factory=list)

    def add(
        self,
        title: str,
        summaries: Sequence[Summary],
        *,
        unit: str,
        result: str,
        target: str,
        met: bool | None,
        notes: Sequence[str] = (),
    ) -> None:
        """Record and print one figure; ``met`` is None for a figure without a target."""
        verdict = "no target"
        if met is not None:
            verdict = "MET" if met else "MISSED"
        lines = [
            f"  {'':52} {'median':>9} {'p95':>9} {'max':>9}",
            *(summary.row(unit) for summary in summaries),
            f"  {result}",
            f"  target: {target}: {verdict}",
            *(f"  {note}" for note in notes),
            f"  load average after the measurement: {load_average()}",
        ]
        figure = Figure(title, lines, met)
        self.figures.append(figure)
        print()
        print(figure.render())
