"""Browser tier: JupyterLab and the HTML reports in a real headless Chromium (``make test-browser``).

Playwright's Python package drives Debian's ``chromium`` (``/usr/bin/chromium``; Playwright's own browser
download is not reachable from this project's machines). Where no Chromium is installed the tests are skipped
with the reason; ``make test`` installs it first (``make browser-setup``), so CI never skips.

Chromium is started as the machine's probe found it works here: headless, no sandbox (CI runs as root), and
without background networking, which a closed network refuses.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The Chromium to drive: ``$CHROMIUM`` if set, else the first of chromium / chromium-browser on PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    exe = chromium_path()
    if exe is None:
        pytest.skip(
            "no Chromium found (install Debian's chromium: `make browser-setup`, or set CHROMIUM=path)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
