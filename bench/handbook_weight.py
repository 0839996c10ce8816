"""The handbook home's first load on a poor connection (a script, not a test; no load is generated).

    .venv/bin/python bench/handbook_weight.py            # SQLite under /tmp/dangvien-weight

A member logged in opens /handbook/ in a cold browser (empty HTTP cache, no service worker yet),
served by gunicorn (one worker) with the static files collected and compressed as in production
(whitenoise's CompressedManifestStaticFilesStorage). Chromium's network emulation (the DevTools
protocol's Network.emulateNetworkConditions) throttles every request. It reports:
  - the bytes transferred (headers + bodies as sent, i.e. compressed where the server compresses) of
    the first load, plus the manifest, its icons and the service worker's script, fetched the same way;
  - when the page is usable: painted with its style (first contentful paint; the style sheet is
    inside the page) and its scripts run (DOMContentLoaded; the offline script is async and does
    not hold it), the later of the two; and the load event (after the async script too).
Targets (issue 11): ≤ 100 KB transferred, usable ≤ 3 s on the "slow 3G" profile.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from benchdb import ROOT, prepare_environment

TARGET_BYTES = 100 * 1024
TARGET_USABLE_MS = 3000
# WebPageTest's "3G Slow" profile: 400 ms round trip, 400 kbit/s each way. DevTools' own "Slow 3G"
# preset (2 s per request, 400 kbit/s) is measured too, for comparison.
PROFILES = {
    "3G Slow (WebPageTest: 400 ms RTT, 400 kbit/s)": {"latency": 400, "kbps": 400},
    "Slow 3G (DevTools preset: 2000 ms, 400 kbit/s)": {"latency": 2000, "kbps": 400},
    "no throttling (baseline, same run)": None,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    sys.path.insert(0, str(ROOT))
    from tests.factories import build_world

    build_world()  # a province, its cells and members; "dv_a1" is a member with a handbook account


def _serve(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "dangvien.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--log-level", "warning"], env=os.environ.copy())
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def _measure(browser, base: str, state: dict, profile: dict | None) -> dict:
    # The service worker is blocked: it would fetch the static files itself, out of this page's sight;
    # its script is counted with the app files below.
    context = browser.new_context(storage_state=state, locale="vi-VN", viewport={"width": 360, "height": 640},
                                  service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if profile:
        rate = profile["kbps"] * 1000 / 8
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": profile["latency"],
                                                      "downloadThroughput": rate, "uploadThroughput": rate})
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(urls.get(e["requestId"], e["requestId"]), int(e["encodedDataLength"])))
    page.goto(f"{base}/handbook/", wait_until="load")
    timing = page.evaluate("""() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const paint = performance.getEntriesByName("first-contentful-paint")[0];
        return {fcp: paint ? paint.startTime : null, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd};
    }""")
    first_load = dict(sizes)
    # The installable app's files: what a browser fetches to offer "add to home screen".
    page.evaluate("""async () => {
        const manifest = await (await fetch(document.querySelector("link[rel=manifest]").href)).json();
        for (const icon of manifest.icons) await (await fetch(icon.src)).arrayBuffer();
        await (await fetch(document.documentElement.dataset.serviceWorker)).text();
    }""")
    page.wait_for_timeout(200)
    app_files = {url: size for url, size in sizes.items() if url not in first_load}
    context.close()
    return {"timing": timing, "first_load": first_load, "app_files": app_files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    os.environ.pop("DATABASE_URL", None)  # the weight does not depend on the database: SQLite
    prepare_environment(var_default="/tmp/dangvien-weight", var_env="DANGVIEN_WEIGHT_VAR",
                        bench_db="dangvien_weight", keep_sqlite=False)
    _prepare()
    from playwright.sync_api import sync_playwright
    from tests.factories import PASSWORD

    port = _free_port()
    server = _serve(port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            login = browser.new_context()
            page = login.new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", "dv_a1")
            page.fill("#id_password", PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(f"{base}/handbook/")
            state = login.storage_state()
            login.close()
            results = {name: _measure(browser, base, state, profile) for name, profile in PROFILES.items()}
            browser.close()
    finally:
        server.terminate()
        server.wait()
    _report(results)


def _report(results: dict) -> None:
    print("| connection | first load (B) | + manifest, icons, worker (B) | total (KB) | FCP (ms) | "
          "DOMContentLoaded (ms) | usable (ms) | load (ms) | targets met |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, result in results.items():
        first, extra, timing = sum(result["first_load"].values()), sum(result["app_files"].values()), result["timing"]
        usable = max(timing["fcp"] or 0, timing["dcl"])
        total = first + extra
        met = total <= TARGET_BYTES and (usable <= TARGET_USABLE_MS or "baseline" in name)
        print(f"| {name} | {first} | {extra} | {total / 1024:.1f} | {timing['fcp'] or 0:.0f} | {timing['dcl']:.0f} | "
              f"{usable:.0f} | {timing['load']:.0f} | {'yes' if met else 'NO'} |")
    print()
    print("Files of the first load (bytes transferred, unthrottled run):")
    baseline = results["no throttling (baseline, same run)"]
    for url, size in sorted({**baseline["first_load"], **baseline["app_files"]}.items()):
        print(f"- {url.split('/', 3)[-1]}: {size}")


if __name__ == "__main__":
    main()
