"""Real-browser test helpers: Debian's Chromium driven by Playwright for Python, and a folder served on 127.0.0.1.

Nothing is downloaded: Playwright launches ``/usr/bin/chromium`` (``apt-get install chromium``, done by
``make browser-deps``) through ``executable_path``. Tests skip with a clear reason when Chromium, the
``playwright`` package or the built verifier bundle (``make verifier``) is missing; a bundle that is
older than its sources fails instead, so a stale build is never tested by mistake.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CREDFOLIO_CHROMIUM", "/usr/bin/chromium"))
#: As on this machine's probe: no sandbox (root), no GPU, and none of Chromium's own background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
REPO_ROOT = Path(__file__).resolve().parents[1]


def verifier_bundle() -> Path:
    """The built verifier bundle; skips when it is not built, fails when it is stale."""
    from credfolio.browser import ensure_verifier_bundle
    from credfolio.errors import SiteError

    try:
        return ensure_verifier_bundle(REPO_ROOT)
    except SiteError as error:
        if "out of date" in error.message:
            pytest.fail(error.message)
        pytest.skip(f"in-browser verifier not built — run `make verifier`: {error.message}")


def require_browser() -> None:
    """Skip unless Debian's Chromium and the playwright package are installed."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium not installed at {CHROMIUM} — run `make browser-deps` (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed — `pip install -e '.[test]'` (PyPI playwright, no browser download)")


def launch_chromium(playwright):
    """Headless Chromium from /usr/bin/chromium with the flags this machine needs."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".json": "application/json", ".js": "text/javascript"}

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; yields ``http://127.0.0.1:<port>/``."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
