"""End to end in a real browser: a facilitator and two teams play a round.

The server runs as ``cgx workshop serve`` in a subprocess; Debian's chromium (installed by
.ci/run) is driven by Playwright. Screenshots of each screen are saved in
tests/workshop/screenshots/.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium "
                                "(apt-get install chromium; .ci/run installs it)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "cgx.cli", "workshop", "serve", "--port", str(port),
         "--db", str(tmp_path / "workshop.db")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"the workshop server did not start:\n{output}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_two_teams_trade_and_see_their_true_up(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        host = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        console = create_game(host, server)
        codes = console.locator("#teams .code").all_inner_texts()
        assert len(codes) == 2
        seller = join(browser.new_context(viewport={"width": 1100, "height": 900}), server,
                      codes[0], "Yangtze")
        buyer = join(browser.new_context(viewport={"width": 390, "height": 844},
                                         is_mobile=True, has_touch=True), server,
                     codes[1], "Jialing")
        console.click("#open_round")
        expect(seller.locator("#sell")).to_be_enabled(timeout=10_000)
        expect(buyer.locator("#buy")).to_be_enabled(timeout=10_000)

        price = free_price(seller, server)
        seller.fill("#quantity", "1")
        seller.fill("#price", price)
        seller.click("#sell")
        expect(seller.locator("#orders button[data-cancel]")).to_have_count(1)
        expect(buyer.locator("#depth td.ask").first).to_contain_text(_shown(price))
        buyer.fill("#quantity", "1")
        buyer.fill("#price", price)
        buyer.click("#buy")
        for page, side in ((seller, "Sell"), (buyer, "Buy")):
            expect(page.locator("#my-trades tbody tr").first).to_contain_text(side)
            expect(page.locator("#market-trades tbody tr").first).to_contain_text(_shown(price))
        expect(console.locator("#trades")).to_contain_text("Yangtze")
        shoot(seller, "participant-seller")
        shoot(buyer, "participant-buyer-phone")
        shoot(console, "facilitator-trading")

        console.click("#end_round")
        for page in (seller, buyer):
            expect(page.locator("#compliance tbody tr").first).to_contain_text("2025")
            expect(page.locator("#notice")).to_contain_text("Round over")
        expect(console.locator("#teams")).to_contain_text("2025 COD")
        shoot(buyer, "participant-after-true-up")
        shoot(console, "facilitator-after-round")

        buyer.click("#lang")
        assert buyer.evaluate("document.documentElement.lang") == "zh-CN"
        browser.close()


def shoot(page: Any, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def create_game(page: Any, server: str) -> Any:
    """Fill the set-up form; return the console page it leads to."""
    from playwright.sync_api import expect

    page.goto(f"{server}/host")
    expect(page.locator("#firms input").first).to_be_attached()
    page.fill("#title", "Browser test")
    # Compliance years of two days and rounds of two days: ending a round trues up a year.
    # Slow agents and a slow clock keep the agents out of the two teams' trade.
    page.fill("#overrides",
              "calendar.days_per_year=2\nexchange.opening_auction=false\ntrading.activity=0.02")
    page.fill("#teams", "2")
    page.fill("#days", "2")
    page.fill("#pace", "120")
    page.locator("#teams").dispatch_event("change")
    expect(page.locator("#firms input:checked")).to_have_count(2)
    page.click("#create-button")
    page.wait_for_url("**/host/*")
    expect(page.locator("#teams .code")).to_have_count(2)
    return page


def join(context: Any, server: str, code: str, name: str) -> Any:
    page = context.new_page()
    page.goto(server)
    page.fill("#code", code)
    page.fill("#team", name)
    page.click("#join button[type=submit]")
    page.wait_for_url("**/play/*")
    return page


def free_price(page: Any, server: str) -> str:
    """A price in yuan/t inside the band and strictly between the best bid and ask, so the
    two teams' orders can meet only each other."""
    game_id = page.url.rsplit("/", 1)[1]
    token = page.evaluate(f"localStorage.getItem('cgx.team.{game_id}')")
    me = httpx.get(f"{server}/api/games/{game_id}/me",
                   headers={"Authorization": f"Bearer {token}"}).json()
    market = me["markets"][0]
    low, high = market["band"]
    bid = market["bids"][0][0] if market["bids"] else low - 1
    ask = market["asks"][0][0] if market["asks"] else high + 1
    ticks = max(bid + 1, low) if ask - bid > 1 else low
    assert bid < ticks < ask, (bid, ticks, ask)
    return f"{ticks * market['yuan_per_tick_per_t']:.1f}"


def _shown(price: str) -> str:
    """How the page formats a price: thousands separated, one decimal."""
    return f"{float(price):,.1f}"
