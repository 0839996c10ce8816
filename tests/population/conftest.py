"""Fixtures of the population tests: the DuckDB store in a temporary folder, never in var/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _duckdb_store(settings, tmp_path):
    settings.POPULATION_DUCKDB = tmp_path / "population.duckdb"
