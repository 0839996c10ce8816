"""seq becomes the audit rows' primary key, numbered by the database (the old id column goes, and
with it the SHA-256 chain that 0003 checked)."""

from django.db import migrations, models


def sequence_past_existing_rows(apps, schema_editor):
    # PostgreSQL's new identity sequence starts at 1: move it past the rows already there.
    from django.core.management.color import no_style

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [apps.get_model("core", "AuditEntry")]):
            cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_audit_rows_keyed"),
    ]

    operations = [
        migrations.DeleteModel(
            name="AuditChainHead",
        ),
        migrations.RemoveField(
            model_name="auditentry",
            name="hash",
        ),
        migrations.RemoveField(
            model_name="auditentry",
            name="id",
        ),
        migrations.RemoveField(
            model_name="auditentry",
            name="prev_hash",
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigAutoField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(sequence_past_existing_rows, migrations.RunPython.noop),
    ]
