"""The PostgreSQL store keeps its citizen_id index only (population.store.INDEXED_COLUMNS):
reconciliation fetches by citizen ID and scans the rest; the old-ID, name and birth-date indexes
were rebuilt at every load and read by nobody. Dropping a parent's index drops its partitions'."""

from django.db import migrations

UNUSED = ("old_id", "name_folded", "name_no_middle", "given_folded", "birth_date")


def drop_unused_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in UNUSED:
            cursor.execute(f"DROP INDEX IF EXISTS population.extract_{column}")


def restore_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in UNUSED:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS extract_{column} ON population.extract ({column})")


class Migration(migrations.Migration):

    dependencies = [("population", "0001_initial")]

    operations = [migrations.RunPython(drop_unused_indexes, restore_indexes)]
