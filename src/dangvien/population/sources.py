"""Where reconciliation looks people up: a loaded snapshot today, a live lookup service later.

A person is a dict of the extract's columns (population.store.COLUMNS: raw and normalized).
`StoreSource` answers from a snapshot in the store. `HttpSource` asks a lookup service that takes
POST {base}/lookup with JSON {"by": column, "values": [...]} and answers {"people": [person, ...]}
(dates as ISO strings); it is tested against a local stdlib HTTP server (tests/population/test_sources.py).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from collections.abc import Iterable
from typing import Any, Protocol

from dangvien.population.store import FETCH_COLUMNS, snapshot_store

Person = dict[str, Any]


class PopulationSource(Protocol):
    def lookup(self, citizen_ids: Iterable[str]) -> list[Person]: ...
    def lookup_old(self, old_ids: Iterable[str]) -> list[Person]: ...
    def candidates(self, column: str, values: Iterable[Any]) -> list[Person]: ...


class StoreSource:
    def __init__(self, snapshot_id: int):
        self.snapshot_id = snapshot_id

    def lookup(self, citizen_ids: Iterable[str]) -> list[Person]:
        return self.candidates("citizen_id", citizen_ids)

    def lookup_old(self, old_ids: Iterable[str]) -> list[Person]:
        return self.candidates("old_id", old_ids)

    def candidates(self, column: str, values: Iterable[Any]) -> list[Person]:
        return snapshot_store().fetch(self.snapshot_id, column, values).to_pylist()


class LookupServiceError(Exception):
    pass


class HttpSource:
    def __init__(self, base_url: str, *, timeout: float = 30.0, batch: int = 1000):
        self.base_url, self.timeout, self.batch = base_url.rstrip("/"), timeout, batch

    def lookup(self, citizen_ids: Iterable[str]) -> list[Person]:
        return self.candidates("citizen_id", citizen_ids)

    def lookup_old(self, old_ids: Iterable[str]) -> list[Person]:
        return self.candidates("old_id", old_ids)

    def candidates(self, column: str, values: Iterable[Any]) -> list[Person]:
        if column not in FETCH_COLUMNS:
            raise ValueError(f"candidates by {column!r}: only by {', '.join(FETCH_COLUMNS)}")
        wanted = sorted({v.isoformat() if isinstance(v, dt.date) else v for v in values if v is not None})
        people: list[Person] = []
        for start in range(0, len(wanted), self.batch):
            people.extend(self._post({"by": column, "values": wanted[start:start + self.batch]}))
        return people

    def _post(self, body: dict[str, Any]) -> list[Person]:
        request = urllib.request.Request(f"{self.base_url}/lookup", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                answer = json.load(response)
        except (OSError, ValueError) as exc:
            raise LookupServiceError(f"The population lookup service did not answer: {exc}") from exc
        people = answer.get("people") if isinstance(answer, dict) else None
        if not isinstance(people, list):
            raise LookupServiceError("The population lookup service answered without a list of people.")
        for person in people:
            if isinstance(person.get("birth_date"), str):
                person["birth_date"] = dt.date.fromisoformat(person["birth_date"])
        return people
