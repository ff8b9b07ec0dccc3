"""Open every page of the built book in headless Chromium, as a reader would.

Runs after the book build (``make browser``, part of ``make test``). Fails on
broken images, missing figures, browser console errors or dead internal
links, and saves a screenshot of each page's first screen under
``_build/<profile>/screenshots/``. Skipped, with the reason, when Chromium or
the built HTML is missing.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROFILE = os.environ.get("REPGEOM_PROFILE", "quick") or "quick"
HTML = ROOT / "_build" / PROFILE / "_build" / "html"
SHOTS = ROOT / "_build" / PROFILE / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                       reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"),
    pytest.mark.skipif(not (HTML / "index.html").is_file(), reason=f"the book is not built at {HTML} (make book)"),
]


#: Chapter pages (the figure-caption rule applies to them), from the table of contents.
CHAPTERS = frozenset(
    line.split("book/")[-1].strip() for line in (ROOT / "_toc.yml").read_text().splitlines()
    if "file: book/" in line and not any(name in line for name in
                                         ("intro", "scorecard", "gallery", "performance", "data_sources")))
#: Python reprs that must not reach a reader: tuples like ``(0,)``, bare booleans or None, ``0.00e+00``.
_REPR = re.compile(r"^\(.*,\)$|^(True|False|None)$|\d\.\d+e[+-]00\b|np\.float|tensor\(")


def _pages() -> list[str]:
    return sorted(str(p.relative_to(HTML)) for p in (HTML / "book").glob("*.html")) if HTML.is_dir() else []


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1000", "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


_RAW_TEX_JS = r"""
const done = arguments[arguments.length - 1];
function rawTex() {
  const skip = "PRE, CODE, SCRIPT, STYLE, MJX-CONTAINER, .highlight, .cell_input";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const hits = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest(skip)) continue;
    const m = n.textContent.match(/.{0,30}(\\\(|\\\[|\$\$).{0,30}/);
    if (m) hits.push(m[0]);
  }
  return hits;
}
if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
  MathJax.startup.promise.then(() => done(rawTex())).catch(e => done(["MathJax failed: " + e]));
} else {
  done(rawTex());
}
"""


@pytest.mark.parametrize("page", _pages() or ["(none)"])
def test_page_renders_without_errors(server, browser, page):
    url = urljoin(server, page)
    browser.get(url)
    browser.execute_script("return document.readyState")
    # Console errors. Not the book's: resources that need the internet, the missing favicon, and
    # the theme's own first-visit notice ("Got invalid theme mode", logged before localStorage is set).
    benign = ("favicon.ico", "Got invalid theme mode")
    errors = [e["message"] for e in browser.get_log("browser")
              if e["level"] == "SEVERE" and "127.0.0.1" in e["message"] and not any(b in e["message"] for b in benign)]
    # 1. Every image loaded (naturalWidth 0 means broken).
    broken = browser.execute_script(
        "return Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)")
    assert not broken, f"{page}: broken images {broken}"
    # 2. Every figure a page declares shows something: an image, or a glued table.
    empty = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure'))"
        ".filter(f => !f.querySelector('img, table')).map(f => f.id)")
    assert not empty, f"{page}: figures without an image or table {empty}"
    # 3. No console errors.
    assert not errors, f"{page}: console errors {errors}"
    # 4. Internal links point to files that exist (anchors checked on the target page).
    links = browser.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    dead = []
    for link in links:
        parsed = urlparse(link)
        if parsed.netloc != urlparse(server).netloc:
            continue
        target = HTML / parsed.path.lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            dead.append(link)
        elif parsed.fragment and target.suffix == ".html":
            text = target.read_text(errors="ignore")
            if f'id="{parsed.fragment}"' not in text:
                dead.append(link)
    assert not dead, f"{page}: dead internal links {sorted(set(dead))[:10]}"
    # 5. Equations are typeset: once MathJax has run, no raw TeX delimiters are left in the page's prose
    #    (code, which may legitimately hold them, is not prose). Fails when MathJax cannot load offline.
    browser.set_script_timeout(60)
    raw_tex = browser.execute_async_script(_RAW_TEX_JS)
    assert not raw_tex, f"{page}: raw TeX visible (MathJax did not typeset it): {raw_tex[:3]}"
    # 6. Figures are shown at (nearly) their natural size, so their text stays readable (DESIGN.md's figure
    #    standard): no figure image is scaled below 60 % of its natural width.
    shrunk = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure img, img.figure, .cell_output img'))"
        ".filter(i => i.naturalWidth > 0 && i.getBoundingClientRect().width < 0.6 * i.naturalWidth)"
        ".map(i => `${i.src.split('/').pop()} at ${Math.round(100 * i.getBoundingClientRect().width / i.naturalWidth)} %`)")
    assert not shrunk, f"{page}: figures shown at under 60 % of their natural size: {shrunk[:5]}"
    # 7. In a chapter every figure is numbered and captioned, and its caption names the paper figure it
    #    reproduces ("Reproduces paper Fig. 2.") or says it goes beyond the paper.
    if Path(page).stem in CHAPTERS:
        captions = browser.execute_script(
            "return Array.from(document.querySelectorAll('figure')).map(f => {"
            " const c = f.querySelector('figcaption'); return [f.id, c ? c.innerText.trim() : ''] })")
        bad = [(fid, text[:60]) for fid, text in captions
               if not re.match(r"^Fig(ure)?\.? \d+\.\d+\s*(Reproduces paper|Beyond the paper)", text)]
        assert not bad, f"{page}: figures without a number and a caption naming the paper figure: {bad[:5]}"
    # 8. Tables are written for readers: no cell cut with an ellipsis, no Python reprs, no e+00 p-values.
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('table td, table th')).map(c => c.innerText.trim())")
    reprs = [c for c in cells if _REPR.search(c) or c.endswith("…") or c.endswith("...")]
    assert not reprs, f"{page}: table cells with truncation or Python reprs: {reprs[:5]}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / (Path(page).stem + ".png")))
