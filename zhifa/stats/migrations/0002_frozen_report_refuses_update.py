"""A frozen annual report is never changed (STAT-10, architecture rule 4): a trigger refuses UPDATE on its table on
SQLite and PostgreSQL. A corrected report is a new version row. DELETE is left to the PROTECT foreign keys (and the
test database's flush); the freeze's ledger entry keeps the hash of what was frozen either way."""

from django.db import migrations

TABLE = "stats_statsreport"
NAME = "stats_statsreport_no_update"


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(f"CREATE TRIGGER {NAME} BEFORE UPDATE ON {TABLE} "
                           "BEGIN SELECT RAISE(ABORT, 'a frozen statistics report is never changed'); END;")
        elif vendor == "postgresql":
            cursor.execute(
                "CREATE OR REPLACE FUNCTION stats_report_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'a frozen statistics report is never changed'; END $$;")
            cursor.execute(f"CREATE TRIGGER {NAME} BEFORE UPDATE ON {TABLE} "
                           "FOR EACH ROW EXECUTE FUNCTION stats_report_refuse_change();")
        else:  # pragma: no cover
            raise RuntimeError(f"unsupported database vendor {vendor}")


def drop_trigger(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {NAME}")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {NAME} ON {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_stats_report")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
