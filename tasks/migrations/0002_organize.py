"""Priorities, tags, due dates and completion times, with the indexes that keep them fast."""

from django.db import migrations, models


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL on PostgreSQL, nothing elsewhere: for the extensions and indexes SQLite lacks.

    They are not in Task.Meta.indexes, because SQLite rebuilds a table with every index
    declared there whenever a migration alters it.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def stamp_completed_tasks(apps, schema_editor):
    # The moment of completion was never recorded: the last change is its best estimate.
    Task = apps.get_model("tasks", "Task")
    Task.objects.filter(completed=True).update(completed_at=models.F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0001_initial"),
    ]

    operations = [
        # Trusted extensions (PostgreSQL 13+): the database's owner may create them. Kept on
        # the way back, as other objects may have come to use them.
        RunSQLOnPostgreSQL("CREATE EXTENSION IF NOT EXISTS btree_gin", migrations.RunSQL.noop),
        RunSQLOnPostgreSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", migrations.RunSQL.noop),
        migrations.AddField(
            model_name="task",
            name="completed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="task",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="task",
            name="priority",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "none"), (1, "low"), (2, "medium"), (3, "high")], default=0
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="tags",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(stamp_completed_tasks, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["user", "priority", "id"], name="task_user_priority_idx"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["user", "due_at", "id"], name="task_user_due_idx"),
        ),
        RunSQLOnPostgreSQL(
            'CREATE INDEX "task_user_due_desc_idx" ON "tasks_task" '
            '("user_id", "due_at" DESC NULLS LAST, "id" DESC)',
            'DROP INDEX "task_user_due_desc_idx"',
        ),
        RunSQLOnPostgreSQL(
            'CREATE INDEX "task_user_search_idx" ON "tasks_task" '
            'USING gin ("user_id", "title" gin_trgm_ops, "description" gin_trgm_ops)',
            'DROP INDEX "task_user_search_idx"',
        ),
        RunSQLOnPostgreSQL(
            'CREATE INDEX "task_user_tags_idx" ON "tasks_task" '
            'USING gin ("user_id", "tags" jsonb_path_ops)',
            'DROP INDEX "task_user_tags_idx"',
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("priority__in", [0, 1, 2, 3])), name="task_priority_valid"
            ),
        ),
    ]
