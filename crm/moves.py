"""Moving models between apps without touching their tables.

A moved model keeps its table (`Meta.db_table`); only Django's state and the content types change.
The content type row is relabelled, not recreated, so the admin permissions granted on it (and any
generic relation) follow the model to its new app.
"""

from django.db import migrations


def move_content_types(old_label: str, new_label: str, model_names: list[str]) -> migrations.RunPython:
    """A migration operation relabelling the content types of `model_names` (lower case) from one app to another."""

    def relabel(from_label, to_label):
        def run(apps, schema_editor):
            content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
            for model in model_names:
                # A database on which post_migrate already made the new row keeps it: the old one is then stale.
                if content_types.filter(app_label=to_label, model=model).exists():
                    continue
                content_types.filter(app_label=from_label, model=model).update(app_label=to_label)

        return run

    return migrations.RunPython(relabel(old_label, new_label), relabel(new_label, old_label))
