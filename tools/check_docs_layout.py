"""Check the built documentation site in headless Chromium, at a laptop's width.

Serves the site (``mkdocs build`` output) on loopback, opens every page in Debian's
Chromium at 1280 CSS pixels wide and fails when a reader would have to scroll sideways:

- a code block (``pre``, or the ``code`` inside it that Material makes scrollable) whose
  content is wider than the block;
- a table whose content is wider than the page (Material then scrolls it);
- an inline ``code`` cut in two inside a name by a line break (``APP_PASS|WORD`` in a
  narrow table column), which reads as two names and copies as a broken one.

It also reports how many columns a code block shows without scrolling, and takes a
full-page screenshot of the main pages (the navigation's, without the API reference)
into ``--screenshots`` (a build or temp directory, never the repository).

Chromium is driven through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: JSON messages ending in a NUL byte on file descriptors 3
and 4), so the check needs the standard library and the ``chromium`` binary only.
Requests that leave the machine are blocked: the page is measured with the fonts
installed locally (Material asks Google Fonts for Roboto Mono; the usual fallbacks,
DejaVu Sans Mono and Liberation Mono, have its advance width, 0.6 em, to within 0.3 %).

``--install-browser`` installs Chromium with apt-get when it is missing and this runs as
root; otherwise the check is skipped with a message saying so (exit 0), except in CI
(``CI=true``), where a check that cannot run fails the run instead of passing silently.

Usage: ``python tools/check_docs_layout.py SITE_DIR [--width 1280] [--screenshots DIR]``.
Exit status: 0 when every page fits, 1 when something overflows (or the check failed).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

#: Chromium's flags: headless, no sandbox (containers, root), nothing that phones home.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
]
TIMEOUT = 60.0  # seconds for any one DevTools command (a page load included)

#: Runs in each page once it has loaded: what overflows, and how wide a code block is.
MEASURE = r"""
(async () => {
  await document.fonts.ready;
  const content = document.querySelector(".md-content") || document.body;
  const headings = [...content.querySelectorAll("h1, h2, h3, h4")];
  const where = (el) => {
    let last = null;
    for (const h of headings) {
      if (h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) last = h;
    }
    return last ? last.textContent.replace(/[¶#]\s*$/, "").replace(/\s+/g, " ").trim()
                : "(top)";
  };
  const longest = (text) =>
    text.split("\n").reduce((a, b) => (b.length > a.length ? b : a), "");
  const found = [];
  const seen = new Set();
  for (const el of content.querySelectorAll("pre, pre > code")) {
    const block = el.closest("pre");
    if (seen.has(block) || el.scrollWidth <= el.clientWidth + 1) continue;
    seen.add(block);
    const line = longest(block.textContent);
    found.push({kind: "code block", where: where(block), excess: el.scrollWidth - el.clientWidth,
                columns: line.length, text: line});
  }
  const tables = new Set();
  for (const el of content.querySelectorAll("table, .md-typeset__scrollwrap")) {
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const table = el.matches("table") ? el : el.querySelector("table");
    if (!table || tables.has(table)) continue;
    tables.add(table);
    found.push({kind: "table", where: where(table), excess: el.scrollWidth - el.clientWidth,
                text: (table.rows[0] || table).textContent.replace(/\s+/g, " ").trim()});
  }
  // Inline code cut inside a name (APP_PASS|WORD): a line break between two of a name's
  // characters. Breaks at a space or after punctuation (-, /, :) are ordinary wrapping.
  const range = document.createRange();
  const name = /\w/;
  const cut = (el) => {
    if (el.getClientRects().length < 2) return null;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let top = null, before = " ", text = "";
    for (let node; (node = walker.nextNode()); ) {
      for (let i = 0; i < node.data.length; i++) {
        const ch = node.data[i];
        if (!/\s/.test(ch)) {
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const rect = range.getClientRects()[0];
          if (rect && top !== null && rect.top > top + 1 && name.test(before)
              && name.test(ch)) {
            return text + "|" + el.textContent.slice(text.length);
          }
          if (rect) top = rect.top;
        }
        before = ch;
        text += ch;
      }
    }
    return null;
  };
  for (const el of content.querySelectorAll("code")) {
    if (el.closest("pre")) continue;
    const shown = cut(el);
    if (shown !== null) {
      const kind = el.closest("table") ? "code cut in two in a table" : "code cut in two";
      found.push({kind, where: where(el), text: shown});
    }
  }
  let columns = null;
  const code = content.querySelector("pre > code");
  if (code) {
    const probe = document.createElement("span");
    probe.textContent = "0".repeat(100);
    code.appendChild(probe);
    const charWidth = probe.getBoundingClientRect().width / 100;
    probe.remove();
    const style = getComputedStyle(code);
    const inner = code.clientWidth - parseFloat(style.paddingLeft)
      - parseFloat(style.paddingRight);
    columns = {fit: Math.floor(inner / charWidth + 0.01), charWidth,
               font: style.fontFamily};
  }
  return {found, columns, height: document.documentElement.scrollHeight,
          viewport: document.documentElement.clientWidth};
})()
"""


class BrowserError(RuntimeError):
    """Chromium did not start, or did not answer as the DevTools protocol says."""


class Chromium:
    """A headless Chromium driven over ``--remote-debugging-pipe``."""

    def __init__(self, binary: str, profile: Path) -> None:
        # Chromium reads commands on fd 3 and writes answers on fd 4: the shell maps our
        # pipes (its stdin and stdout) there, and gives Chromium's own output to stderr.
        command = ["/bin/sh", "-c", 'exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2', binary]
        command += [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"]
        self.log = profile / "chromium.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log
            )
        self.answers: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None  # noqa: S101 - opened with PIPE
        buffer = b""
        while chunk := self.process.stdout.read1(65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                waiting = self.answers.get(message.get("id", -1))
                if waiting is not None:
                    waiting.put(message)
                else:
                    self.events.put(message)
        self.events.put({"method": "closed"})

    def _failed(self, what: str) -> BrowserError:
        """An error saying ``what`` went wrong, with the end of Chromium's own log."""
        if self.process.poll() is not None:
            what += f" (Chromium exited with status {self.process.returncode})"
        tail = self.log.read_text(errors="replace").strip().splitlines()[-5:]
        return BrowserError("\n".join([what, *tail]))

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer; raise on a protocol error."""
        with self.lock:
            self.next_id += 1
            ident = self.next_id
            self.answers[ident] = queue.Queue()
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        assert self.process.stdin is not None  # noqa: S101 - opened with PIPE
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\0")
            self.process.stdin.flush()
            answer = self._answer(ident)
        except OSError as exc:  # the pipe broke: Chromium is gone
            raise self._failed(f"{method}: {exc}") from None
        finally:
            del self.answers[ident]
        if answer is None:
            late = "no answer" if self.process.poll() is not None else f"none in {TIMEOUT:.0f} s"
            raise self._failed(f"{method}: {late}")
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error'].get('message', answer['error'])}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def _answer(self, ident: int) -> dict[str, Any] | None:
        """The answer to command ``ident``; None if Chromium exits or takes too long."""
        for _ in range(int(TIMEOUT / 0.25)):
            try:
                return self.answers[ident].get(timeout=0.25)
            except queue.Empty:
                if self.process.poll() is not None:
                    return None
        return None

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        """The next event ``method`` of ``session`` (other events are dropped)."""
        while True:
            try:
                event = self.events.get(timeout=TIMEOUT)
            except queue.Empty:
                raise self._failed(f"no {method} event in {TIMEOUT:.0f} s") from None
            if event.get("method") == "closed":
                raise self._failed(f"Chromium closed its pipe while waiting for {method}")
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port, a thread); yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def pages(site: Path) -> list[str]:
    """Every page of the site, as paths relative to its root ("" is the home page)."""
    found = []
    for index in sorted(site.rglob("index.html")):
        relative = index.parent.relative_to(site).as_posix()
        if relative.split("/")[0] in {"assets", "search"}:
            continue
        found.append("" if relative == "." else relative + "/")
    return found


def is_main(page: str) -> bool:
    """The pages screenshotted: the guides, not the API reference."""
    return not page.startswith("api/")


def check(site: Path, binary: str, width: int, screenshots: Path | None) -> int:
    """Open every page of ``site``; print what overflows; return the exit status."""
    offenders = 0
    fits: set[int] = set()
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="docs-layout-") as profile, serve(site) as base:
        browser = Chromium(binary, Path(profile))
        try:
            target = browser.send("Target.createTarget", url="about:blank")["targetId"]
            session = browser.send("Target.attachToTarget", targetId=target, flatten=True)[
                "sessionId"
            ]
            browser.send("Page.enable", session)
            browser.send("Network.enable", session)
            # Nothing leaves the machine: the site is served over http:// on loopback.
            browser.send("Network.setBlockedURLs", session, urls=["https://*"])
            browser.send(
                "Emulation.setDeviceMetricsOverride",
                session,
                width=width,
                height=900,
                deviceScaleFactor=1,
                mobile=False,
            )
            for page in pages(site):
                browser.send("Page.navigate", session, url=base + page)
                browser.wait_for("Page.loadEventFired", session)
                result = browser.send(
                    "Runtime.evaluate",
                    session,
                    expression=MEASURE,
                    awaitPromise=True,
                    returnByValue=True,
                )
                if "exceptionDetails" in result:
                    raise BrowserError(f"{page}: {result['exceptionDetails']}")
                measured = result["result"]["value"]
                if measured["columns"]:
                    fits.add(measured["columns"]["fit"])
                name = page or "(home)"
                for item in measured["found"]:
                    offenders += 1
                    detail = f", {item['columns']} columns" if "columns" in item else ""
                    excess = f" by {item['excess']} px" if "excess" in item else ""
                    print(
                        f"OVERFLOW {name} § {item['where']}: {item['kind']}{excess}{detail}: "
                        f"{item['text'][:120]!r}"
                    )
                if screenshots is not None and is_main(page):
                    shot = browser.send(
                        "Page.captureScreenshot",
                        session,
                        format="png",
                        captureBeyondViewport=True,
                        clip={
                            "x": 0,
                            "y": 0,
                            "width": measured["viewport"],
                            "height": min(measured["height"], 16_000),
                            "scale": 1,
                        },
                    )
                    path = screenshots / f"{(page.strip('/') or 'index').replace('/', '-')}.png"
                    path.write_bytes(base64.b64decode(shot["data"]))
        finally:
            browser.close()
    shown = ", ".join(str(n) for n in sorted(fits)) or "?"
    print(f"{len(pages(site))} pages at {width} px: a code block shows {shown} columns")
    if screenshots is not None:
        print(f"screenshots of the main pages: {screenshots}")
    if offenders:
        print(f"{offenders} block(s) a reader must scroll sideways at {width} px", file=sys.stderr)
        return 1
    print(f"no code block or table overflows at {width} px")
    return 0


def find_chromium(install: bool) -> str | None:
    """The Chromium binary; installed with apt-get when missing, if asked and allowed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    if not install:
        return None
    root = getattr(os, "geteuid", lambda: -1)() == 0
    if not root or not shutil.which("apt-get"):
        return None
    print("Chromium is missing: apt-get install -y chromium", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
        install = ["apt-get", "install", "-y", "-qq", "chromium"]
        subprocess.run(install, check=True, env=env)  # noqa: S603 - a fixed command
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"apt-get could not install Chromium: {exc}", file=sys.stderr)
        return None
    return shutil.which("chromium")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site (mkdocs build --site-dir)")
    parser.add_argument("--width", type=int, default=1280, help="viewport width, CSS px")
    parser.add_argument("--screenshots", type=Path, help="where the screenshots go")
    parser.add_argument("--chromium", help="the Chromium binary (default: on PATH)")
    parser.add_argument(
        "--install-browser",
        action="store_true",
        help="apt-get install chromium when it is missing and this runs as root",
    )
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"{args.site} is not a built site (no index.html)")
    binary = args.chromium or find_chromium(args.install_browser)
    if binary is None:
        why = (
            "Chromium is not installed (Debian: apt-get install chromium, as root; "
            "nox -s docs does it when run as root)"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            print(f"docs layout check cannot run in CI: {why}", file=sys.stderr)
            return 1
        print(f"SKIPPED the docs layout check (code blocks at {args.width} px): {why}")
        return 0
    try:
        return check(args.site, binary, args.width, args.screenshots)
    except BrowserError as exc:
        print(f"docs layout check failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
