"""Fixtures of the population tests: the DuckDB store in a temporary folder, never in var/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _duckdb_store(settings, tmp_path):
    settings.POPULATION_DUCKDB = tmp_path / "population.duckdb"


@pytest.fixture(autouse=True)
def _english_messages():
    # Messages are asserted in English; the default language is Vietnamese.
    from django.utils import translation

    with translation.override("en"):
        yield
