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
                rows = list(content_types.filter(app_label__in=[from_label, to_label], model=model).order_by("pk"))
                if not rows:
                    continue
                # Rolling back one app at a time can leave the model in both apps' state for a moment, and
                # post_migrate then makes a second row. The older row is the model's own (its permissions are
                # the ones granted); the newer one, and the permissions made with it, go.
                kept, *stale = rows
                for row in stale:
                    row.delete()
                content_types.filter(pk=kept.pk).update(app_label=to_label)

        return run

    return migrations.RunPython(relabel(old_label, new_label), relabel(new_label, old_label))
