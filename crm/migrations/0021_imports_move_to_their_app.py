"""Customer imports belong to the imports app now (imports 0001 takes them over); their tables stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0020_complaints_move_to_their_app"),
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ImportRow"),
                migrations.DeleteModel(name="ImportJob"),
            ]
        ),
    ]
