"""A real browser for tests: Debian's chromium driven by playwright (which cannot download
a browser of its own here), and the problems a page reports."""

import contextlib
import shutil

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",  # as root
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def chromium():
    """A headless chromium for the duration of the block; yields playwright's Browser."""
    if not shutil.which(CHROMIUM):
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Problems:
    """What a page reports as going wrong: console errors and uncaught exceptions."""

    def __init__(self, page):
        self.console = []
        self.exceptions = []
        page.on("console", lambda message: self._console(message))
        page.on("pageerror", lambda error: self.exceptions.append(str(error)))

    def _console(self, message):
        if message.type == "error":
            self.console.append(message.text)

    def all(self) -> list[str]:
        return self.console + self.exceptions


def cut_short(page, selector) -> list[str]:
    """The text of the elements matching `selector` that the page shows cut short: wider than
    their box, so that an ellipsis or the box's edge hides the rest."""
    return page.eval_on_selector_all(
        selector,
        "found => found.filter(e => e.scrollWidth > e.clientWidth).map(e => e.innerText)",
    )


def wider_than_their_box(page, selector) -> list[str]:
    """The ids of the elements matching `selector` wider than the box they are in, which then
    cuts them or scrolls sideways."""
    return page.eval_on_selector_all(
        selector,
        "found => found.filter(e => e.offsetWidth > e.parentElement.clientWidth).map(e => e.id)",
    )
