"""What the roles may do with population extract snapshots (registered with accounts.permissions).

A snapshot covers a whole province or the country, so loading one is for administrators only
(they hold every permission everywhere; no role is bound to it)."""

from dangvien.accounts.permissions import register

SNAPSHOT_IMPORT = register("SNAPSHOT_IMPORT", "population.snapshot_import", roles=set())
