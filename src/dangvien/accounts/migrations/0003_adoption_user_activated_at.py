"""User.activated_at: when the login got its usable password (empty while it has none): a member's
handbook registration, for the adoption report. Accounts that already have a usable password take
their date_joined, the best date there is for them (an account registered by a secretary and
activated later with a code is dated from its registration). And the partial index of members'
registered accounts, which the adoption report joins to the members."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations, models

import dangvien.accounts.models


def backfill(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    (User.objects.filter(activated_at__isnull=True).exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
     .update(activated_at=models.F("date_joined")))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", dangvien.accounts.models.UserManager()),
            ],
        ),
        migrations.AddField(
            model_name="user",
            name="activated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="activated at"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                condition=models.Q(("activated_at__isnull", False), ("is_active", True), ("member__isnull", False)),
                fields=["member", "activated_at"], name="accounts_user_registered"),
        ),
    ]
