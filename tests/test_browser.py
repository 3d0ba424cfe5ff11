"""The theme and live reload in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from blogsite.config import load_config
from blogsite.serve import start

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: `make test` installs it with apt-get")
        pytest.skip("no Chromium on this machine (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def served(make_site):
    site = make_site("example")
    httpd, stop, preview = start(load_config(site), port=0)
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}", preview
    stop.set()
    httpd.shutdown()
    httpd.server_close()


POST = "/2010/03/influence-reputation-et-legitimite-le-succes/"


def test_a_saved_edit_reloads_the_open_page(browser, served):
    site, base, _ = served
    page = browser.new_page()
    page.goto(base + POST)
    assert "Influence, réputation" in page.inner_text("h1")
    page.wait_for_timeout(300)  # let the event stream connect
    source = site / "posts/influence-reputation-et-legitimite-le-succes.md"
    started = time.monotonic()
    source.write_text(source.read_text().replace("Bon ok, on a fait", "Bon d'accord, on a fait", 1))
    page.wait_for_function("document.querySelector('main').innerText.includes('Bon d’accord')", timeout=5000)
    assert time.monotonic() - started < 5
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_follows_the_colour_scheme(browser, served, scheme):
    _, base, _ = served
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(base + "/")
    rgb = page.evaluate("getComputedStyle(document.body).backgroundColor")
    r, g, b = (int(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    luminance = (r + g + b) / 3
    assert luminance > 200 if scheme == "light" else luminance < 60, rgb
    context.close()


def test_readable_on_a_phone_without_javascript(browser, served):
    _, base, _ = served
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=False, is_mobile=True
    )
    page = context.new_page()
    for path in ("/", POST, "/tags/", "/archives/", "/2010/04/la-setlist-de-la-tournee/"):
        page.goto(base + path)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 360, f"{path} scrolls sideways ({overflow}px)"
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16, path
    page.goto(base + POST)
    assert "Tweeter or not Tweeter" in page.inner_text("main")
    context.close()


def test_keyboard_users_get_a_skip_link(browser, served):
    _, base, _ = served
    page = browser.new_page()
    page.goto(base + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#content"
    box = page.evaluate("document.activeElement.getBoundingClientRect().left")
    assert box >= 0, "the skip link must become visible when focused"
    page.close()
