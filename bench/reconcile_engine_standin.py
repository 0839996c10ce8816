"""Stand-in benchmark of the reconciliation engine alone (matching.reconcile: no ORM read, no
writes), until `dangvien population generate` lands and `make bench-reconcile` runs end to end.

    .venv/bin/python bench/reconcile_bench.py   # once: builds the demo province in /tmp/dangvien-reconcile-bench
    .venv/bin/python bench/reconcile_engine_standin.py

The extract: the demo members' true records (1 % left out: absent) plus random citizens (demo
names, 4 province codes) up to 2.6 M rows, loaded into a DuckDB store at /tmp/rc/scale.duckdb. The
noise: 25 % of the member records get one of 11 kinds (typo, no diacritics, NFD, dropped middle
name, day/month swap, year only, an old CMND unknown to the extract, ID one digit, ID adjacent swap,
ID missing, hometown as written), and 30 % of those with a name or date noise also lose their ID.
Prints time, peak memory, precision of the links made without review, recall of auto + review
(right person first), review share, and the review / none counts by noise kind."""

import json
import os
import pathlib
import random
import resource
import time

os.environ["DANGVIEN_VAR"] = "/tmp/dangvien-reconcile-bench"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangvien.settings")
os.environ.setdefault("DANGVIEN_SECRET_KEY", "x")
import django

django.setup()
import duckdb  # noqa: E402  (after django.setup())
import pyarrow as pa  # noqa: E402  (after django.setup())

from dangvien.core.citizen_id import make as make_cid  # noqa: E402  (after django.setup())
from dangvien.core.names import person_name  # noqa: E402  (after django.setup())
from dangvien.members.models import ON_ROLL_STATUSES, Member  # noqa: E402  (after django.setup())
from dangvien.population.hometowns import map_places, split_hometown  # noqa: E402  (after django.setup())
from dangvien.population.normalize import install_macros, person_select  # noqa: E402  (after django.setup())
from dangvien.population.store import EXTRACT_SCHEMA, DuckDBStore  # noqa: E402  (after django.setup())
from dangvien.reconcile.matching import reconcile  # noqa: E402  (after django.setup())
from dangvien.reconcile.sides import MEMBER_FIELDS, member_table  # noqa: E402  (after django.setup())

store_path = pathlib.Path("/tmp/rc/scale.duckdb")
store_path.parent.mkdir(parents=True, exist_ok=True)
rows = list(Member.objects.filter(status__in=ON_ROLL_STATUSES).order_by("pk").values_list(*MEMBER_FIELDS))
print("members", len(rows))
rng = random.Random(5)
if not store_path.exists():
    t0 = time.time()
    people = []
    absent = set()
    for pk, _prof, name, dob, year, sex, home, cid, old in rows:
        if rng.random() < 0.01:
            absent.add(pk)
            continue
        c, d, p = split_hometown(home)
        people.append(
            {
                "so_dinh_danh": cid,
                "so_cmnd": old or "",
                "ho_ten": name,
                "ngay_sinh": dob.strftime("%d/%m/%Y") if dob else str(year),
                "gioi_tinh": "Nam" if sex == "M" else "Nữ",
                "que_quan_xa": c,
                "que_quan_tinh": p,
                "thuong_tru": "",
            }
        )
    ids = {r[7] for r in rows}
    n = 2_600_000 - len(people)
    import datetime as dt

    i = 0
    while len(people) < 2_600_000:
        i += 1
        s = rng.choice("MF")
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(95 * 365))
        c = make_cid(rng.choice(["064", "052", "040", "038"]), s, born.year, rng.randrange(1_000_000))
        if c in ids:
            continue
        ids.add(c)
        people.append(
            {
                "so_dinh_danh": c,
                "so_cmnd": "",
                "ho_ten": person_name(rng, "Kinh" if rng.random() < 0.8 else "Jrai", s),
                "ngay_sinh": born.strftime("%d/%m/%Y"),
                "gioi_tinh": "Nam" if s == "M" else "Nữ",
                "que_quan_xa": rows[rng.randrange(len(rows))][6].split(",")[0],
                "que_quan_tinh": "Gia Lai",
                "thuong_tru": "",
            }
        )
    print("people built", time.time() - t0)
    con = duckdb.connect()
    install_macros(con)
    raw = pa.Table.from_pylist(people)
    places = map_places({(p["que_quan_xa"], "", p["que_quan_tinh"]) for p in people})
    pl = pa.table(
        {
            "xa": [k[0] for k in places],
            "tinh": [k[2] for k in places],
            "hc": [v[0] for v in places.values()],
            "hp": [v[1] for v in places.values()],
        }
    )
    con.execute(
        f"CREATE TABLE n AS SELECT x.*, pl.hc AS hometown_commune, pl.hp AS hometown_province, 1 AS snapshot_id, row_number() OVER () + 1 AS line FROM ({person_select('raw')}) x LEFT JOIN pl ON pl.xa = x.que_quan_xa AND pl.tinh = x.que_quan_tinh"
    )
    cols = ", ".join(
        f"{f.name}::{ {'string': 'VARCHAR', 'int32': 'INTEGER', 'int16': 'SMALLINT', 'int8': 'TINYINT', 'date32[day]': 'DATE'}[str(f.type)] } AS {f.name}"
        for f in EXTRACT_SCHEMA
    )
    tab = con.execute(f"SELECT {cols} FROM n").to_arrow_table()
    DuckDBStore(store_path).load(1, tab.to_batches(100_000))
    json.dump(sorted(absent), open("/tmp/rc/absent.json", "w"))
    print("loaded", time.time() - t0)
absent = set(json.load(open("/tmp/rc/absent.json")))
# noise on the member side
import unicodedata  # noqa: E402  (after django.setup())

from dangvien.core.text import fold  # noqa: E402  (after django.setup())

KINDS = [
    "typo",
    "diacritics",
    "nfd",
    "middle",
    "swap",
    "year_only",
    "old_id",
    "id_typo",
    "id_swap",
    "id_missing",
    "hometown_old",
]
truth, noisy, kinds = {}, [], {}
rng = random.Random(11)
for r in rows:
    pk, prof, name, dob, year, sex, home, cid, old = r
    truth[pk] = None if pk in absent else cid
    kind = rng.choice(KINDS) if rng.random() < 0.25 else None
    if kind == "typo":
        w = list(name)
        i = rng.randrange(len(w))
        w[i] = rng.choice("aeiounhtg")
        name = "".join(w)
    elif kind == "diacritics":
        name = fold(name).title()
    elif kind == "nfd":
        name = unicodedata.normalize("NFD", name)
    elif kind == "middle":
        parts = name.split()
        name = " ".join([parts[0], parts[-1]]) if len(parts) > 2 else name
    elif kind == "swap" and dob and dob.day <= 12:
        dob = dob.replace(day=dob.month, month=dob.day)
    elif kind == "year_only":
        dob = None
    elif kind == "old_id":
        cid = None
        old = str(rng.randrange(10**8, 10**9))
    elif kind == "id_typo" and cid:
        i = rng.randrange(12)
        cid = cid[:i] + str((int(cid[i]) + 1) % 10) + cid[i + 1 :]
    elif kind == "id_swap" and cid:
        i = rng.randrange(11)
        cid = cid[:i] + cid[i + 1] + cid[i] + cid[i + 2 :]
    elif kind == "id_missing":
        cid = None
    # second noise on ID for a share, so pass 2 sees name/date noise too
    if kind in ("typo", "diacritics", "nfd", "middle", "swap", "year_only") and rng.random() < 0.3:
        cid = None
    noisy.append((pk, prof, name, dob, year, sex, home, cid, old))
    kinds[pk] = (kind or "-") + ("+noid" if cid is None and kind not in ("old_id", "id_missing") else "")
members = member_table(noisy)
t0 = time.time()
res = reconcile(
    members,
    store=DuckDBStore(store_path),
    snapshot_id=1,
    min_training_members=int(os.environ.get("MINTRAIN", 2000)),
)
el = time.time() - t0
print("reconcile s", round(el, 1), "peak MiB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
print(json.dumps({k: v for k, v in res.engine.items() if k != "parameters"}, default=str))
from collections import Counter  # noqa: E402  (after django.setup())

c = Counter()
wrong = []
for o in res.outcomes:
    t = truth[o.member_id]
    c[o.band] += 1
    if o.band in ("exact", "auto"):
        c["linked"] += 1
        if o.so_dinh_danh != t:
            c["wrong"] += 1
            wrong.append((o.member_id, o.band, o.so_dinh_danh, t, o.probability))
    if t is None:
        c["absent"] += 1
        continue
    c["present"] += 1
    if (o.band in ("exact", "auto") and o.so_dinh_danh == t) or (
        o.band == "review" and o.candidates and o.candidates[0]["so_dinh_danh"] == t
    ):
        c["found"] += 1
print(dict(c))
print(
    "precision",
    1 - c["wrong"] / c["linked"],
    "recall",
    c["found"] / c["present"],
    "review",
    c["review"] / len(res.outcomes),
)
print(wrong[:10])
rk = Counter(kinds[o.member_id] for o in res.outcomes if o.band == "review")
nk = Counter(kinds[o.member_id] for o in res.outcomes if o.band == "none" and truth[o.member_id])
print("review by kind", rk.most_common())
print("none(present) by kind", nk.most_common())
json.dump(res.engine.get("parameters"), open("/tmp/rc/params.json", "w"), indent=1, default=str)
rec = {r[0]: r for r in noisy}
orig = {r[0]: r for r in rows}
shown = Counter()
for o in res.outcomes:
    k = kinds[o.member_id]
    if o.band == "none" and truth[o.member_id] and k in ("id_typo", "id_missing") and shown[k] < 3:
        shown[k] += 1
        print("----", k, "record", rec[o.member_id][2:9], "\n   true", orig[o.member_id][2:9])
        for c in o.candidates:
            print(
                "   cand",
                c["so_dinh_danh"],
                round(c["probability"], 4),
                c["match_weight"],
                c["person"]["ho_ten"],
                c["person"]["ngay_sinh"],
                {f: (w["level"], w["weight"]) for f, w in c["weights"].items()},
            )
