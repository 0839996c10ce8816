import pytest

from dangvien.core.audit import audit_record
from dangvien.core.models import AuditEntry


def test_bulk_update_and_delete_of_audit_rows_are_refused(db):
    audit_record(actor=None, action="test.one", object_type="thing", object_id=1, after={"a": 1})
    with pytest.raises(RuntimeError):
        AuditEntry.objects.filter(action="test.one").update(action="changed")
    with pytest.raises(RuntimeError):
        AuditEntry.objects.all().delete()
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["test.one"]
