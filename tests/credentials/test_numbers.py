"""Card numbers: the schemes' formats and check digits (expected numbers worked out by hand), and
drawing from several processes at once on the database the suite runs on."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, transaction

from dangvien.credentials.models import CardNumberCounter
from dangvien.credentials.numbers import SCHEMES, CardNumberScheme, current_scheme, numbers_draw

pytestmark = pytest.mark.usefixtures("english")


@dataclass(frozen=True)
class Province:
    code: str
    path: str


GIA_LAI = Province("GL", "0001")
HA_NOI = Province("HN", "0012")


def test_the_default_scheme_numbers_a_province_with_a_luhn_digit():
    scheme = SCHEMES["province-luhn"]
    # 01 0000001: doubled from the right, 1 -> 2, plus the province's 1: sum 3, check digit 7.
    assert scheme.number(province=GIA_LAI, sequence=1) == "0100000017"
    # 12 0004567: 7*2=14 -> 5, 6, 5*2=10 -> 1, 4, 0, 0, 0, 2, 1*2=2: sum 20, check digit 0.
    assert scheme.number(province=HA_NOI, sequence=4567) == "1200045670"
    assert (scheme.series_of(GIA_LAI), scheme.series_of(HA_NOI), scheme.capacity) == ("1", "12", 9_999_999)
    coded = CardNumberScheme("coded", scheme.template, province_codes={"GL": 64})
    # 64 0000001: 1*2=2, the 4, 6*2=12 -> 3: sum 9, check digit 1.
    assert coded.number(province=GIA_LAI, sequence=1) == "6400000011"
    assert scheme.is_valid("0100000017") and scheme.is_valid("1200045670")
    assert not scheme.is_valid("0100000018")  # one digit wrong
    assert not scheme.is_valid("1000000017")  # two digits swapped
    assert not scheme.is_valid("01000000l7")


def test_the_alternative_is_one_national_series_with_an_iso_7064_digit():
    scheme = SCHEMES["national-mod11"]
    # ISO 7064 MOD 11-10 over 000000001: the running value goes 9, 7, 3, 6, 1, 2, 4, 8, then 7 after
    # the 1; the check digit is (11 - 7) mod 10 = 4.
    assert scheme.number(province=GIA_LAI, sequence=1) == "0000000014"
    assert scheme.number(province=HA_NOI, sequence=2)[:9] == "000000002"
    assert scheme.series_of(GIA_LAI) == scheme.series_of(HA_NOI) == "national"
    assert scheme.is_valid("0000000014") and not scheme.is_valid("0000000015")
    assert not scheme.is_valid("0000000041")  # the last two swapped


def test_the_setting_names_a_scheme_or_defines_one(settings):
    assert current_scheme() == SCHEMES["province-luhn"]
    settings.DANGVIEN = {**settings.DANGVIEN, "CARD_NUMBER_SCHEME": "national-mod11"}
    assert current_scheme() == SCHEMES["national-mod11"]
    settings.DANGVIEN = {**settings.DANGVIEN, "CARD_NUMBER_SCHEME": {
        "name": "thẻ-8", "template": "{province:02d}{sequence:05d}", "check": "iso7064-mod11-10"}}
    assert current_scheme().number(province=GIA_LAI, sequence=3)[:7] == "0100003"
    assert current_scheme().capacity == 99_999
    settings.DANGVIEN = {**settings.DANGVIEN, "CARD_NUMBER_SCHEME": "eight-digits"}
    with pytest.raises(ImproperlyConfigured, match="Unknown card number scheme 'eight-digits'"):
        current_scheme()
    for bad, says in [({"template": "{sequence:07d}"}, "takes exactly"),
                      ({"template": "VN{province:02d}{sequence:07d}"}, "digits only"),
                      ({"check": "crc32"}, "unknown check"),
                      ({"series": "commune"}, "series is")]:
        with pytest.raises(ImproperlyConfigured, match=says):
            CardNumberScheme(**{"name": "bad", "template": "{province:02d}{sequence:07d}", **bad})


@pytest.mark.django_db
def test_numbers_follow_each_other_per_series_and_a_rollback_gives_its_numbers_back():
    scheme = SCHEMES["province-luhn"]
    with transaction.atomic():
        assert numbers_draw(GIA_LAI, 2, scheme) == ["0100000017", "0100000025"]
        assert numbers_draw(HA_NOI, 1, scheme)[0][:9] == "120000001"
    try:
        with transaction.atomic():
            numbers_draw(GIA_LAI, 5, scheme)
            raise RuntimeError("the cards could not be stored")
    except RuntimeError:
        pass
    with transaction.atomic():
        assert numbers_draw(GIA_LAI, 1, scheme) == ["0100000033"]  # no gap where the rollback was
    assert dict(CardNumberCounter.objects.values_list("series", "next_value")) == {"1": 4, "12": 2}


@pytest.mark.django_db
def test_a_full_series_refuses_more_numbers(settings):
    small = CardNumberScheme("small", "{province:02d}{sequence:01d}")
    with transaction.atomic():
        assert len(numbers_draw(GIA_LAI, 9, small)) == 9
    with pytest.raises(ValidationError, match="small/1 is exhausted"), transaction.atomic():
        numbers_draw(GIA_LAI, 1, small)


# --- several processes at once -------------------------------------------------------------------------

WORKERS, ROUNDS, PER_ROUND = 4, 12, 3

# A worker: say it is ready, wait for the common start, then draw ROUNDS times PER_ROUND numbers,
# each draw its own transaction, and print them. Only the counter table is touched.
_WORKER = """
import json, pathlib, sys, time, django
django.setup()
from django.db import transaction
from dangvien.credentials.numbers import SCHEMES, numbers_draw
class Province:
    code, path = "GL", "0001"
ready, go, rounds, per_round = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ready.touch()
while not go.exists():
    time.sleep(0.005)
drawn = []
for _ in range(rounds):
    with transaction.atomic():
        drawn += numbers_draw(Province, per_round, SCHEMES["province-luhn"])
        time.sleep(0.002)  # hold the lock a little, as storing the cards would
print(json.dumps(drawn))
"""


def _worker_env(tmp_path) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dangvien.settings", "DANGVIEN_VAR": str(tmp_path)}
    if connection.vendor == "postgresql":
        # The test database itself: this test commits (transaction=True), so the workers see its tables.
        url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = url._replace(path="/" + connection.settings_dict["NAME"]).geturl()
        return env
    # The suite's SQLite database lives in memory, out of other processes' reach: a file of their own
    # holding the counter table as the migration makes it.
    env.pop("DATABASE_URL", None)
    with connection.schema_editor(collect_sql=True) as editor:
        editor.create_model(CardNumberCounter)
    with sqlite3.connect(tmp_path / "dangvien.sqlite3") as db:
        # In WAL mode already, as a migrated database is: else the workers' connections, all opened at
        # once, each try to switch the new file to WAL (settings' init_command), which needs the file
        # to themselves, and one can fail at once with "database is locked" whatever the busy timeout.
        db.execute("PRAGMA journal_mode=WAL")
        for statement in editor.collected_sql:
            db.execute(statement)
    return env


def _counter_value(tmp_path) -> int:
    if connection.vendor == "postgresql":
        return CardNumberCounter.objects.get(scheme="province-luhn", series="1").next_value
    with sqlite3.connect(tmp_path / "dangvien.sqlite3") as db:
        return db.execute("SELECT next_value FROM credentials_cardnumbercounter").fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_processes_drawing_at_once_never_share_a_number_nor_leave_a_gap(tmp_path):
    env = _worker_env(tmp_path)
    ready, go = [tmp_path / f"ready-{i}" for i in range(WORKERS)], tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", _WORKER, str(ready[i]), str(go), str(ROUNDS), str(PER_ROUND)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(WORKERS)]
    deadline = time.monotonic() + 60
    while not all(path.exists() for path in ready) and time.monotonic() < deadline:
        if any(worker.poll() is not None for worker in workers):
            break  # one failed to start: its error is reported below
        time.sleep(0.01)
    go.touch()
    drawn: list[list[str]] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        drawn.append(json.loads(out))
    every = [number for numbers in drawn for number in numbers]
    total = WORKERS * ROUNDS * PER_ROUND
    assert len(every) == len(set(every)) == total
    scheme = SCHEMES["province-luhn"]
    assert set(every) == {scheme.number(province=GIA_LAI, sequence=n) for n in range(1, total + 1)}
    for numbers in drawn:  # each draw is a run of PER_ROUND numbers in a row
        for i in range(0, len(numbers), PER_ROUND):
            sequences = [int(n[2:9]) for n in numbers[i:i + PER_ROUND]]
            assert sequences == list(range(sequences[0], sequences[0] + PER_ROUND))
    # The counter ends right after the last number. (Whether the workers' draws interleaved depends on
    # the scheduler: asserting it failed when one worker drew all its rounds before the others woke.)
    assert _counter_value(tmp_path) == total + 1
