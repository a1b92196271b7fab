"""What the browser tests check on a page: requests that leave the machine, typeset maths, broken images."""

from __future__ import annotations


def outside_requests(page) -> list[str]:
    """Start recording every request of ``page`` that would leave the machine; returns the (live) list.

    Such requests are aborted, so a test fails on what was asked for, not on whether the network answered.
    """
    seen: list[str] = []

    def handle(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")) or url.startswith(
            ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "ws://localhost")
        ):
            route.continue_()
        else:
            seen.append(url)
            route.abort()

    page.route("**/*", handle)
    return seen


MATHJAX_SELECTOR = "mjx-container, .MathJax, .MathJax_Display, .MathJax_Preview, script[type^='math/tex']"

BROKEN_IMAGES_JS = """() => Array.from(document.images)
    .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src.slice(0, 80))"""
