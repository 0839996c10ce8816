# The keyed, sealed audit trail (core.audit): the seal chain's tables, and each row's key and MAC
# (filled in for the existing rows by 0003, before 0004 drops the old hash chain).

from django.db import migrations, models


def create_the_seal_head(apps, schema_editor):
    # Made here rather than by the first seal: two sealers creating it at once would make the second
    # wait for the first's transaction, where a sealer must never wait.
    apps.get_model("core", "AuditSealHead").objects.get_or_create(id=1)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditPending",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False)),
                ("mac", models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("number", models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ("runs", models.JSONField()),
                ("count", models.PositiveIntegerField()),
                ("total", models.PositiveBigIntegerField()),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
                ("key_id", models.CharField(max_length=32)),
                ("sealed_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["number"],
            },
        ),
        migrations.CreateModel(
            name="AuditSealHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("number", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64)),
                ("total", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_the_seal_head, migrations.RunPython.noop),
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(default="", max_length=32),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="mac",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
    ]
