"""Headless Chromium driven over the DevTools protocol through a pipe: standard library only.

`--remote-debugging-pipe` makes Chromium read protocol messages on its file descriptor 3 and
write them on 4, each a JSON object ended by a NUL byte: no port, no websocket, no driver
binary. The run report's browser test and tools/screenshot_report.py use it to open a page,
collect what went wrong (console errors, uncaught exceptions, failed or outside requests,
images that did not load) and capture the page as a PNG.

Chromium starts with a fresh profile and the flags that keep it off the network: without them
it stalls on refused connections on a machine that has none.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_EXECUTABLE = "/usr/bin/chromium"
FALLBACKS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
# Requests a self-contained page may make: itself and its data: URIs.
LOCAL_SCHEMES = ("file:", "data:", "about:")
IMAGES_SCRIPT = """JSON.stringify({
  title: document.title,
  images: Array.from(document.images).map(i => ({
    src: i.currentSrc.slice(0, 48), complete: i.complete, width: i.naturalWidth
  }))
})"""


class BrowserError(RuntimeError):
    """Chromium is missing, did not answer, or answered with an error."""


def find_chromium(explicit: str | None = None) -> str:
    """The browser to run: `explicit`, $CHROMIUM, /usr/bin/chromium, or one on the PATH."""
    for candidate in (explicit, os.environ.get("CHROMIUM"), DEFAULT_EXECUTABLE):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    for name in FALLBACKS:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError(
        f"no Chromium at {DEFAULT_EXECUTABLE} or on the PATH: install Debian's package "
        "(apt-get install chromium; `make test` does) or set CHROMIUM to a Chromium or Chrome"
    )


def _high_fd(fd: int) -> int:
    """A copy of `fd` numbered 10 or above (closed on exec), so dup2 onto 3 and 4 is safe."""
    import fcntl  # noqa: PLC0415 (POSIX only, like the pipe itself)

    copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return copy


class Browser:
    """One headless Chromium process and its protocol pipe."""

    def __init__(self, executable: str | None = None, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._home = Path(tempfile.mkdtemp(prefix="chromium-"))
        self.log = self._home / "chromium.log"
        self._buffer = b""
        self._next_id = 0
        command_read, command_write = (_high_fd(fd) for fd in os.pipe())
        reply_read, reply_write = (_high_fd(fd) for fd in os.pipe())
        path = find_chromium(executable)
        argv = [path, *FLAGS, f"--user-data-dir={self._home / 'profile'}", "about:blank"]
        # Its chatter (D-Bus, GPU) goes to a log file, quoted when it fails.
        output = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        try:
            self.pid = os.posix_spawn(
                path,
                argv,
                dict(os.environ),
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 1, str(self.log), output, 0o600),
                    (os.POSIX_SPAWN_DUP2, 1, 2),
                    (os.POSIX_SPAWN_DUP2, command_read, 3),
                    (os.POSIX_SPAWN_DUP2, reply_write, 4),
                ],
            )
        except OSError as error:
            shutil.rmtree(self._home, ignore_errors=True)
            raise BrowserError(f"cannot start {path}: {error}") from error
        finally:
            os.close(command_read)
            os.close(reply_write)
        self._writer = command_write
        self._reader = reply_read

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"Chromium did not answer within {self.timeout:.0f} s")
            ready, _, _ = select.select([self._reader], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._reader, 1 << 20)
            if not chunk:
                raise BrowserError(
                    f"Chromium closed its protocol pipe (it exited); its log ends: {self._tail()}"
                )
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def send(
        self, method: str, params: Mapping[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") != self._next_id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
            result: dict[str, Any] = reply.get("result", {})
            return result

    def wait_for(self, method: str, session: str | None = None) -> dict[str, Any]:
        """Wait for the next event `method` (of `session`) and return it."""
        deadline = time.monotonic() + self.timeout
        seen = len(self.events)
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(self.events)
            self.events.append(self._read_message(deadline))

    def _tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(empty)"

    def _exited(self, within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        """Ask Chromium to quit, make sure it has, and remove its profile."""
        with suppress(BrowserError, OSError):
            self.send("Browser.close")
        if not self._exited(within=10):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        for fd in (self._writer, self._reader):
            with suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._home, ignore_errors=True)


@dataclass
class PageCheck:
    """What a page did while it loaded."""

    title: str = ""
    images: list[dict[str, Any]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    @property
    def broken_images(self) -> list[dict[str, Any]]:
        """Images that did not load (not complete, or no natural width)."""
        return [i for i in self.images if not i["complete"] or i["width"] <= 0]

    @property
    def problems(self) -> list[str]:
        """Everything that went wrong, one line each (empty for a clean page)."""
        return [
            *(f"console error: {e}" for e in self.console_errors),
            *(f"failed request: {r}" for r in self.failed_requests),
            *(f"request outside the page: {r}" for r in self.outside_requests),
            *(f"image did not load: {i['src']}" for i in self.broken_images),
        ]


def _describe_exception(params: Mapping[str, Any]) -> str:
    details = params.get("exceptionDetails") or {}
    exception = details.get("exception") or {}
    return str(exception.get("description") or details.get("text") or "an exception")


def _collect(events: list[dict[str, Any]], session: str, check: PageCheck) -> None:
    for event in events:
        if event.get("sessionId") != session:
            continue
        method, params = event.get("method"), event.get("params") or {}
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = params.get("args") or []
            check.console_errors.append(" ".join(str(a.get("value", a)) for a in args))
        elif method == "Runtime.exceptionThrown":
            check.console_errors.append(_describe_exception(params))
        elif method == "Log.entryAdded" and (params.get("entry") or {}).get("level") == "error":
            check.console_errors.append(str(params["entry"].get("text")))
        elif method == "Network.loadingFailed":
            check.failed_requests.append(str(params.get("errorText")))
        elif method == "Network.requestWillBeSent":
            url = str((params.get("request") or {}).get("url", ""))
            if not url.startswith(LOCAL_SCHEMES):
                check.outside_requests.append(url)


@contextmanager
def page_session(browser: Browser, width: int) -> Iterator[str]:
    """A new tab with the domains the checks listen to; closed afterwards."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})
    session_id = str(session["sessionId"])
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session_id)
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    browser.send("Emulation.setDeviceMetricsOverride", metrics, session_id)
    try:
        yield session_id
    finally:
        browser.send("Target.closeTarget", {"targetId": target})


def check_page(
    browser: Browser, url: str, *, width: int = 1280, screenshot: Path | None = None
) -> PageCheck:
    """Load `url`, wait for its load event, and report what happened; optionally capture the
    whole page (not only the viewport) as a PNG."""
    with page_session(browser, width) as session:
        browser.send("Page.navigate", {"url": url}, session)
        browser.wait_for("Page.loadEventFired", session)
        found = browser.send(
            "Runtime.evaluate", {"expression": IMAGES_SCRIPT, "returnByValue": True}, session
        )
        state = json.loads(found["result"]["value"])
        if screenshot is not None:
            layout = browser.send("Page.getLayoutMetrics", session=session)
            height = int(layout["cssContentSize"]["height"]) + 1
            metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
            browser.send("Emulation.setDeviceMetricsOverride", metrics, session)
            shot = browser.send("Page.captureScreenshot", {"format": "png"}, session)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        check = PageCheck(title=str(state["title"]), images=list(state["images"]))
        _collect(browser.events, session, check)
    return check
