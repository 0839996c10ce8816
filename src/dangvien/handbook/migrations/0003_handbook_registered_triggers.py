"""Member.handbook_registered kept by the database: whether the member has a registered handbook
account (handbook.counting.registered_q: a login linked to the member, active, with activated_at set).

Triggers, so that no path that writes a login (the services, the demo, a factory, an administrator's
SQL) can leave the flag behind:
- on the logins: an insert, a delete, or a change of member, is_active or activated_at sets the flag
  of the member(s) concerned;
- on the members: a write of the flag itself (a model save writes every column, possibly a value read
  before a login changed) is put back to what the logins say.
Then the flag of every member is computed once.

On SQLite a migration that rebuilds accounts_user or members_member (Django's ALTER of a column)
drops their triggers: tests/handbook/test_registered_flag.py fails if a trigger is missing.
"""

from django.db import migrations

# handbook.counting.registered_q in SQL: of the login being written, and as a lookup of a member's login.
NEW_REGISTERED = "(NEW.is_active AND NEW.activated_at IS NOT NULL)"
EXISTS = "EXISTS (SELECT 1 FROM accounts_user u WHERE u.member_id = {member} AND u.is_active AND u.activated_at IS NOT NULL)"

SQLITE = [
    f"""CREATE TRIGGER handbook_registered_user_insert AFTER INSERT ON accounts_user
    WHEN NEW.member_id IS NOT NULL BEGIN
      UPDATE members_member SET handbook_registered = {NEW_REGISTERED} WHERE id = NEW.member_id;
    END""",
    f"""CREATE TRIGGER handbook_registered_user_update AFTER UPDATE OF member_id, is_active, activated_at
    ON accounts_user BEGIN
      UPDATE members_member SET handbook_registered = 0
      WHERE id = OLD.member_id AND OLD.member_id IS NOT NEW.member_id;
      UPDATE members_member SET handbook_registered = {NEW_REGISTERED} WHERE id = NEW.member_id;
    END""",
    """CREATE TRIGGER handbook_registered_user_delete AFTER DELETE ON accounts_user
    WHEN OLD.member_id IS NOT NULL BEGIN
      UPDATE members_member SET handbook_registered = 0 WHERE id = OLD.member_id;
    END""",
    # SQLite's BEFORE triggers cannot change NEW: the row is corrected after the write (recursive
    # triggers are off, so the correction does not fire this trigger again).
    f"""CREATE TRIGGER handbook_registered_member_kept AFTER UPDATE OF handbook_registered ON members_member
    WHEN NEW.handbook_registered IS NOT OLD.handbook_registered
      AND NEW.handbook_registered IS NOT {EXISTS.format(member="NEW.id")} BEGIN
      UPDATE members_member SET handbook_registered = NOT NEW.handbook_registered WHERE id = NEW.id;
    END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS handbook_registered_{name}"
               for name in ("user_insert", "user_update", "user_delete", "member_kept")]

POSTGRESQL = [
    # plan_cache_mode: PL/pgSQL keeps a statement's plan for the session, and a plan made while
    # members_member was (or was analyzed as) nearly empty scans the whole table; a process that
    # loads thousands of members then their logins (an import, a test) went quadratic: 300 s for
    # 48,597 logins. A custom plan each call costs microseconds and looks the member up by its key.
    f"""CREATE FUNCTION handbook_registered_from_user() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
    BEGIN
      IF TG_OP <> 'INSERT' AND OLD.member_id IS NOT NULL
         AND (TG_OP = 'DELETE' OR OLD.member_id IS DISTINCT FROM NEW.member_id) THEN
        UPDATE members_member SET handbook_registered = false WHERE id = OLD.member_id AND handbook_registered;
      END IF;
      IF TG_OP <> 'DELETE' AND NEW.member_id IS NOT NULL THEN
        UPDATE members_member SET handbook_registered = {NEW_REGISTERED}
        WHERE id = NEW.member_id AND handbook_registered IS DISTINCT FROM {NEW_REGISTERED};
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER handbook_registered_from_user
    AFTER INSERT OR DELETE OR UPDATE OF member_id, is_active, activated_at ON accounts_user
    FOR EACH ROW EXECUTE FUNCTION handbook_registered_from_user()""",
    # Checked only when a statement (depth 1, not the logins' trigger, which writes the right value)
    # writes another value than the row holds: a save that writes back what it read costs nothing,
    # and a bulk load of logins adds no lookup of the logins per row.
    f"""CREATE FUNCTION handbook_registered_kept() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
    BEGIN
      IF pg_trigger_depth() = 1 AND NEW.handbook_registered IS DISTINCT FROM OLD.handbook_registered THEN
        NEW.handbook_registered := {EXISTS.format(member="NEW.id")};
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER handbook_registered_kept BEFORE UPDATE OF handbook_registered ON members_member
    FOR EACH ROW EXECUTE FUNCTION handbook_registered_kept()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS handbook_registered_from_user ON accounts_user",
    "DROP FUNCTION IF EXISTS handbook_registered_from_user()",
    "DROP TRIGGER IF EXISTS handbook_registered_kept ON members_member",
    "DROP FUNCTION IF EXISTS handbook_registered_kept()",
]

BACKFILL = f"UPDATE members_member SET handbook_registered = {EXISTS.format(member='members_member.id')}"


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for sql in statements[schema_editor.connection.vendor]:
        schema_editor.execute(sql, params=None)


def create(apps, schema_editor):
    _run(schema_editor, {"sqlite": [*SQLITE, BACKFILL], "postgresql": [*POSTGRESQL, BACKFILL]})


def drop(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP})


class Migration(migrations.Migration):

    dependencies = [
        ("handbook", "0002_rights_text_first_version"),
        ("members", "0007_handbook_registered"),
        ("accounts", "0003_adoption_user_activated_at"),
    ]

    operations = [migrations.RunPython(create, drop)]
