"""Database triggers that refuse UPDATE and DELETE on ledger tables (architecture rule 4), on SQLite and PostgreSQL,
and the single LedgerHead row. Nobody — not the application, not a DBA using SQL — changes a ledger row silently:
to do so they must first drop a trigger, and the offline verifier still catches the change."""

from django.db import migrations

APPEND_ONLY = ["records_ledgerentry", "records_ledgernode", "records_checkpoint", "records_restoreevent"]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            for table in APPEND_ONLY:
                for op in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, 'ledger tables are append-only: {op} refused'); END;"
                    )
        elif vendor == "postgresql":
            cursor.execute(
                "CREATE OR REPLACE FUNCTION records_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'ledger tables are append-only: % refused on %', TG_OP, TG_TABLE_NAME; END $$;"
            )
            for table in APPEND_ONLY:
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION records_refuse_change();"
                )
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION records_refuse_change();"
                )
        else:  # pragma: no cover
            raise RuntimeError(f"unsupported database vendor {vendor}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for table in APPEND_ONLY:
            if vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


def create_head(apps, schema_editor):
    apps.get_model("records", "LedgerHead").objects.get_or_create(pk=1, defaults={"frontier": b""})


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
