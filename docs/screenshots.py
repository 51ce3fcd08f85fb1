"""Screenshots of the built site in headless Chromium, to check that it renders (styles, pictures, nav).

    mkdocs build --strict && python docs/screenshots.py [--site site] [--out screenshots]

Serves the built site from 127.0.0.1 (a thread, stopped at the end) and writes one PNG per page in PAGES.
Needs the ``chromium`` browser (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import functools
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

#: screenshot name -> page of the site
PAGES = {
    "home": "",
    "model-dcgan-mnist": "models/dcgan-mnist/",
    "plugin-tutorial": "plugins/",
}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (argparse's name)
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The site folder over HTTP on a free port of 127.0.0.1; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def screenshot(browser: str, url: str, out: Path, size: str = "1280,900") -> Path:
    """One page drawn by headless Chromium into ``out``."""
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={size}", f"--screenshot={out}", url],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    if not out.is_file():
        raise SystemExit(f"chromium wrote no {out}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=Path("site"), help="the built site (mkdocs build)")
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder for the PNGs")
    parser.add_argument("--browser", default="chromium", help="Chromium's command (default chromium)")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"{args.site} holds no built site: run `mkdocs build --strict` first")
    browser = shutil.which(args.browser)
    if browser is None:
        parser.error(f"{args.browser} not found: install Chromium (Debian: apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    with serve(args.site) as base:
        for name, page in PAGES.items():
            print(screenshot(browser, base + page, args.out / f"{name}.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
