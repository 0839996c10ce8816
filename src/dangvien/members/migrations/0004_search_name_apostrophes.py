"""Names with an apostrophe (Ksor H'Ngăn) get the search key that also finds them typed joined
(hngan), split (h ngan) or with a curly apostrophe (core.text.search_key)."""

from django.db import migrations
from django.db.models import Q

from dangvien.core.text import APOSTROPHES, search_key


def rekey(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    with_apostrophe = Q()
    for ch in APOSTROPHES:
        with_apostrophe |= Q(full_name__contains=ch) | Q(birth_name__contains=ch) | Q(aliases__contains=ch)
    changed = []
    for member in Member.objects.filter(with_apostrophe).only("full_name", "birth_name", "aliases", "search_name"):
        member.search_name = search_key(" ".join(filter(None, [member.full_name, member.birth_name, member.aliases])))
        changed.append(member)
    Member.objects.bulk_update(changed, ["search_name"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("members", "0003_event_kind_any_registered")]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
