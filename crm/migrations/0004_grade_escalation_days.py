import django.core.validators
from django.db import migrations, models

ESCALATION_DEFAULTS = {"A": 3, "B": 5, "C": 7}  # DOMAIN §3: the better the customer, the sooner a manager hears


def set_escalation_defaults(apps, schema_editor):
    GradeRule = apps.get_model("crm", "GradeRule")
    for grade, days in ESCALATION_DEFAULTS.items():
        GradeRule.objects.filter(grade=grade).update(escalate_after_days=days)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0003_grade_policy_and_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="graderule",
            name="escalate_after_days",
            field=models.PositiveSmallIntegerField(
                default=7,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="escalate to the manager after (days overdue)",
            ),
        ),
        migrations.RunPython(set_escalation_defaults, migrations.RunPython.noop),
    ]
