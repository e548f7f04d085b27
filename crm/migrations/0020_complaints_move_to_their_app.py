"""Complaints belong to the complaints app now (complaints 0001 takes them over); their tables stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0019_importjob_attempts"),
        ("complaints", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ComplaintEvent"),
                migrations.DeleteModel(name="Complaint"),
                migrations.DeleteModel(name="ResponseDeadline"),
            ]
        ),
    ]
