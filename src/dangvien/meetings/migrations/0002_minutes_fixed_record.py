# The minutes' absentees and agenda, fixed at approval: attendance may be corrected after the
# meeting (the member's yearly record) and the approved minutes must not change with it.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("meetings", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="minutes",
            name="fixed_absentees",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="minutes",
            name="fixed_agenda",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
