from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "dangvien.core"
    label = "core"

    def ready(self) -> None:
        # Before any URLconf is read: the routes name records with <id:pk>.
        from dangvien.core.urls import register

        register()
        post_migrate.connect(_seal_after_migrate, sender=self)


def _seal_after_migrate(using: str, **kwargs) -> None:
    """Seal the rows a migration left pending (0003 keys the rows of the old hash chain): sealed at
    once, they are not left open to deletion until the next audited write."""
    from django.db import connections

    from dangvien.core.audit import audit_seal
    from dangvien.core.models import AuditPending

    if AuditPending._meta.db_table in connections[using].introspection.table_names():
        audit_seal()
