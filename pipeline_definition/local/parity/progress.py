"""Progress of environment builds: a spinner on a terminal, one line per change otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from pipeline_definition.local.progress import format_duration


class PlainBuildProgress:
    """One line per change, with the time since the build started (for logs and CI)."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self._started: dict[str, float] = {}

    def _line(self, label: str, message: str) -> None:
        now = self.clock()
        elapsed = now - self._started.get(label, now)
        self.stream.write(f"[{elapsed:7.1f}s] parity env {label}: {message}\n")
        self.stream.flush()

    def building(self, label: str, packages: int) -> None:
        """A build starts."""
        self._started[label] = self.clock()
        self._line(label, f"building ({packages} pinned packages; once, then cached)")

    def update(self, label: str, message: str) -> None:
        """The build moved on."""
        self._line(label, message)

    def done(self, label: str, seconds: float, *, reused: bool) -> None:
        """The environment is ready."""
        if reused:
            self.stream.write(f"parity env {label}: ready (cached)\n")
            self.stream.flush()
        else:
            self._line(label, f"ready, built in {format_duration(seconds)}")

    def failed(self, label: str) -> None:
        """The build stopped with an error."""
        self._line(label, "failed")


class LiveBuildProgress:
    """A spinner with the current build step and a live elapsed time."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def building(self, label: str, packages: int) -> None:
        """A build starts: show the spinner."""
        self.console.print(f"parity env {label}: building {packages} pinned packages (once)")
        self._progress = Progress(
            SpinnerColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self.console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(f"{label}: starting")

    def update(self, label: str, message: str) -> None:
        """The build moved on."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=f"{label}: {message}")

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress = None
        self._task = None

    def done(self, label: str, seconds: float, *, reused: bool) -> None:
        """The environment is ready: stop the spinner."""
        self._stop()
        state = "ready (cached)" if reused else f"built in {format_duration(seconds)}"
        self.console.print(f"parity env {label}: {state}")

    def failed(self, label: str) -> None:
        """The build stopped with an error: stop the spinner."""
        self._stop()
        self.console.print(f"parity env {label}: failed")
