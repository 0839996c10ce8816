"""The secretary's meeting page of a 50-member cell while its members check in (a script, not a test).

    .venv/bin/python bench/meeting_checkin_load.py                       # SQLite under /tmp/dangvien-meetload
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangvien_meetload \\
      .venv/bin/python bench/meeting_checkin_load.py                     # PostgreSQL, database dangvien_meetload

It builds the demo province (`demo-data --members 20000`) in a database of its own (bench/benchdb.py),
adds a cell of exactly 50 members on the roll, each with a handbook login and a live session, and its
secretary's session, and schedules --rounds thematic meetings of that cell, all under way (check-in
open). gunicorn then serves it on 127.0.0.1 as deployed (static files collected, whitenoise).

Each round is one meeting: the 50 members check in at the same instant (50 POSTs to
/api/meetings/checkin, one per member, each on its own connection, released together), while
--pollers clients reload the secretary's page of that meeting (/meetings/<id>/: agenda, documents,
the QR, the 50-member attendance form) back to back. The page's latency is counted for the requests
that started while check-ins were in flight. The baselines, measured against the same gunicorn in
the same run: the same page with no check-in going on ("idle"), and /handbook/manifest.webmanifest
with the secretary's cookie (the cost of any authenticated Django request). At the end every
meeting must hold exactly 50 present members, one row each (exactly once under concurrency).

The client is asyncio on raw sockets (one connection a request: gunicorn's sync workers close them),
light enough to share the 2 cores with the server. Target (issue 12): the page's p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchdb import describe_database, prepare_environment

TARGET_P95_MS = 100.0
CELL_SIZE = 50
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Minh", "Nam", "Phúc", "Quang", "Sơn"]


def _prepare(members: int, rounds: int) -> dict:
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    started = time.perf_counter()
    call_command("demo-data", members=members, seed=2026, reset=True, verbosity=0)
    print(f"demo-data --members {members}: {time.perf_counter() - started:.1f} s", flush=True)
    cell, member_users, secretary = _cell_with_logins()
    meetings = _meetings(secretary, cell, rounds)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")
    csrf = secrets.token_hex(16)  # 32 characters: a CSRF secret, sent as cookie and header alike
    cookie = settings.SESSION_COOKIE_NAME
    return {
        "vendor": connection.vendor, "database": describe_database(connection.vendor, connection), "csrf": csrf,
        "members": [f"{cookie}={_session(u)}; {settings.CSRF_COOKIE_NAME}={csrf}" for u in member_users],
        "secretary": f"{cookie}={_session(secretary)}; {settings.CSRF_COOKIE_NAME}={csrf}",
        "meetings": [(m.pk, m.checkin_token) for m in meetings], "page_queries": _page_queries(secretary, meetings[0]),
    }


def _cell_with_logins() -> tuple:
    """A new cell of 50 members on the roll under the demo's first grassroots committee, a member login
    for each (as the demo's `dangvien`), and a secretary login for the cell."""
    from dangvien.accounts.models import Role, RoleAssignment, User
    from dangvien.core.citizen_id import make as make_citizen_id
    from dangvien.members.services import member_register
    from dangvien.org.models import Unit, UnitKind
    from dangvien.org.services import unit_create

    admin = User.objects.filter(is_superuser=True).first() or User.objects.create(username="bench-admin")
    RoleAssignment.objects.get_or_create(user=admin, role=Role.ADMIN, unit=None)
    parent = Unit.objects.filter(kind=UnitKind.GRASSROOTS_COMMITTEE).order_by("path").first()
    cell = unit_create(actor=admin, kind=UnitKind.CELL, code="BENCH-CELL", name="Chi bộ đo tải", parent=parent)
    users = []
    for n in range(CELL_SIZE):
        born = dt.date(1955 + n % 25, 1 + n % 12, 1 + n % 28)
        member = member_register(actor=admin, unit=cell, data={
            "full_name": f"{FAMILY[n % len(FAMILY)]} Văn {GIVEN[n % len(GIVEN)]}", "sex": "M", "date_of_birth": born,
            "citizen_id": make_citizen_id("064", "M", born.year, 900_000 + n), "admission_date": dt.date(2010, 3, 2),
            "official_date": dt.date(2011, 3, 2), "hometown": "Xã Ia Grai, Gia Lai"})
        user = User.objects.create(username=f"meetload{n:02d}", member=member, password="!benchmark")
        RoleAssignment.objects.create(user=user, role=Role.MEMBER, unit=cell)
        users.append(user)
    secretary = User.objects.create(username="meetload-secretary", password="!benchmark")
    RoleAssignment.objects.create(user=secretary, role=Role.CELL_SECRETARY, unit=cell)
    return cell, users, secretary


def _meetings(secretary, cell, rounds: int) -> list:
    """One meeting a round, each under way, with an agenda and a document (the page as a secretary
    sees it on the day)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from dangvien.meetings import services

    made = []
    for n in range(rounds):
        meeting = services.meeting_schedule(
            actor=secretary, unit=cell, kind="thematic", topic=f"Học tập nghị quyết, đợt {n + 1}",
            place="Hội trường thôn", starts_at=timezone.now() - dt.timedelta(minutes=10),
            ends_at=timezone.now() + dt.timedelta(hours=3), agenda=["Quán triệt nghị quyết", "Thảo luận", "Kết luận"])
        services.attachment_add(actor=secretary, meeting=meeting, upload=SimpleUploadedFile(
            "nghi-quyet.pdf", b"%PDF-1.4\n" + b"0" * 2000, content_type="application/pdf"))
        made.append(meeting)
    return made


def _session(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from dangvien.accounts.backends import BACKEND
    from dangvien.accounts.middleware import LAST_SEEN

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[LAST_SEEN] = int(time.time())
    session.create()
    return session.session_key


def _page_queries(secretary, meeting) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(secretary)
    client.get(f"/meetings/{meeting.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/meetings/{meeting.pk}/").status_code == 200
    return len(queries)


# --- the client -----------------------------------------------------------------------------------------


async def _request(port: int, method: str, path: str, cookie: str, *, body: bytes = b"",
                   headers: dict[str, str] | None = None) -> tuple[int, float, bytes]:
    """One request on its own connection: (status, seconds, body)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Cookie: {cookie}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    elapsed = time.perf_counter() - started
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return status, elapsed, answer.partition(b"\r\n\r\n")[2]


async def _check_in(port: int, cookie: str, csrf: str, token: str, gate: asyncio.Event) -> tuple[int, float]:
    body = json.dumps({"token": token}).encode()
    await gate.wait()
    status, seconds, _ = await _request(port, "POST", "/api/meetings/checkin", cookie, body=body, headers={
        "X-CSRFToken": csrf, "Idempotency-Key": secrets.token_hex(8)})
    return status, seconds


async def _poll(port: int, cookie: str, path: str, stop: asyncio.Event, samples: list) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        status, seconds, _ = await _request(port, "GET", path, cookie)
        samples.append((started, seconds, status))


async def _round(port: int, checkin_port: int, data: dict, meeting: tuple[int, str], pollers: int) -> dict:
    """One meeting: the pollers reload its page; after a moment the 50 check-ins go at once."""
    pk, token = meeting
    samples: list = []
    stop, gate = asyncio.Event(), asyncio.Event()
    polling = [asyncio.create_task(_poll(port, data["secretary"], f"/meetings/{pk}/", stop, samples))
               for _ in range(pollers)]
    checkins = [asyncio.create_task(_check_in(checkin_port, cookie, data["csrf"], token, gate))
                for cookie in data["members"]]
    await asyncio.sleep(0.3)
    burst_start = time.perf_counter()
    gate.set()
    results = await asyncio.gather(*checkins)
    burst_end = time.perf_counter()
    await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*polling)
    during = [s for s in samples if burst_start <= s[0] < burst_end]
    return {"checkins": results, "page_during": during, "page_all": samples, "burst": burst_end - burst_start}


async def _sequential(port: int, cookie: str, path: str, count: int) -> list:
    out = []
    for _ in range(count):
        status, seconds, _ = await _request(port, "GET", path, cookie)
        out.append((0.0, seconds, status))
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000 if ordered else float("nan")


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(port: int, workers: int, worker_class: str, threads: int) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "gunicorn"), "dangvien.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", worker_class,
               "--log-level", "warning", "--backlog", "256"]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    server = subprocess.Popen(command, env=os.environ.copy())
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")


async def _run(port: int, checkin_port: int, data: dict, pollers: int, idle_count: int) -> dict:
    first = data["meetings"][0][0]
    await _sequential(port, data["secretary"], f"/meetings/{first}/", 20)  # warm-up: templates, translations
    load_before = _load_average()
    idle = await _sequential(port, data["secretary"], f"/meetings/{first}/", idle_count)
    manifest = await _sequential(port, data["secretary"], "/handbook/manifest.webmanifest", idle_count)
    rounds = [await _round(port, checkin_port, data, meeting, pollers) for meeting in data["meetings"]]
    return {"idle": idle, "manifest": manifest, "rounds": rounds, "load_before": load_before,
            "load_after": _load_average()}


def _verify(meetings: list[tuple[int, str]]) -> tuple[int, int]:
    """(meetings holding exactly 50 present rows, check-in audit rows): exactly once, counted in the database."""
    from django.db.models import Count

    from dangvien.core.models import AuditEntry
    from dangvien.meetings.models import Attendance

    counts = dict(Attendance.objects.filter(meeting_id__in=[pk for pk, _ in meetings], status="present")
                  .values_list("meeting_id").annotate(n=Count("id")))
    exact = sum(counts.get(pk) == CELL_SIZE for pk, _ in meetings)
    return exact, AuditEntry.objects.filter(action="meeting.checked_in").count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=20, help="meetings, 50 check-ins each")
    parser.add_argument("--pollers", type=int, default=2, help="clients reloading the meeting page")
    parser.add_argument("--idle", type=int, default=100, help="page loads of each baseline")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="per worker, gthread only")
    parser.add_argument("--checkin-workers", type=int, default=0,
                        help="serve the check-in API from a second gunicorn of this many sync workers (a "
                             "deployment where the proxy routes /api/meetings/checkin to its own pool); 0: one pool")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    prepare_environment(var_default="/tmp/dangvien-meetload", var_env="DANGVIEN_MEETLOAD_VAR",
                        bench_db="dangvien_meetload", keep_sqlite=False)
    data = _prepare(args.members, args.rounds)
    port = _free_port()
    server = _serve(port, args.workers, args.worker_class, args.threads)
    checkin_port, checkin_server = port, None
    if args.checkin_workers:
        checkin_port = _free_port()
        checkin_server = _serve(checkin_port, args.checkin_workers, "sync", 1)
    try:
        figures = asyncio.run(_run(port, checkin_port, data, args.pollers, args.idle))
    finally:
        for running in (server, checkin_server):
            if running is not None:
                running.terminate()
                running.wait()
    exact, audited = _verify(data["meetings"])
    _report(figures, data, args, exact, audited)


def _report(figures: dict, data: dict, args, exact: int, audited: int) -> None:
    idle = [s[1] for s in figures["idle"]]
    manifest = [s[1] for s in figures["manifest"]]
    during = [s[1] for r in figures["rounds"] for s in r["page_during"]]
    page_errors = sum(s[2] != 200 for r in figures["rounds"] for s in r["page_all"])
    checkins = [c for r in figures["rounds"] for c in r["checkins"]]
    checkin_times = [c[1] for c in checkins]
    bad = sum(c[0] != 201 for c in checkins)
    bursts = [r["burst"] * 1000 for r in figures["rounds"]]
    p95 = _pct(during, 95)
    server = f"gunicorn {args.workers} × {args.worker_class}" + (
        f" ({args.threads} threads)" if args.worker_class == "gthread" else "") + (
        f", check-ins on their own gunicorn {args.checkin_workers} × sync" if args.checkin_workers else "")
    rows = [
        ("meeting page, no check-in going on (baseline)", idle),
        ("/handbook/manifest.webmanifest (baseline: any authenticated request)", manifest),
        (f"meeting page while 50 members check in at once ({args.rounds} rounds, {args.pollers} pollers)", during),
        ("check-in POST /api/meetings/checkin, 50 at once", checkin_times),
    ]
    print(f"\n### {data['database']}: {server}, cell of {CELL_SIZE} members, {data['page_queries']} SQL queries "
          f"per meeting page\n")
    print("| what | n | p50 ms | p95 ms | p99 ms | p95 ÷ idle page p95 |")
    print("|---|---:|---:|---:|---:|---:|")
    base = _pct(idle, 95)
    for name, values in rows:
        print(f"| {name} | {len(values)} | {_pct(values, 50):.1f} | {_pct(values, 95):.1f} | {_pct(values, 99):.1f} "
              f"| {_pct(values, 95) / base:.2f} |")
    print(f"\n- 50 check-ins drained in {statistics.median(bursts):.0f} ms (median burst, max {max(bursts):.0f} ms); "
          f"check-ins not answered 201: {bad}; meeting pages not answered 200: {page_errors}")
    print(f"- exactly once: {exact} of {args.rounds} meetings hold exactly {CELL_SIZE} present rows; "
          f"{audited} check-in audit rows for {len(checkins)} check-ins")
    print(f"- load average {figures['load_before']} → {figures['load_after']}")
    print(f"- target p95 ≤ {TARGET_P95_MS:.0f} ms under the check-ins: {'met' if p95 <= TARGET_P95_MS else 'NOT met'} "
          f"({p95:.1f} ms)")
    if args.json:
        args.json.write_text(json.dumps({"database": data["database"], "p95_during": p95, "idle_p95": base,
                                         "checkin_p95": _pct(checkin_times, 95), "bad": bad, "exact": exact}, indent=2))


if __name__ == "__main__":
    main()
