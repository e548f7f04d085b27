"""The weekly digest belongs to the board app now (board 0001 takes it over); its table stays as it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0007_system_reasons"),
        ("board", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="WeeklyDigest")]),
    ]
