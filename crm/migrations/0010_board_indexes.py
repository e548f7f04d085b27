from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0009_customer_name_order"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "grade", "next_follow_up_on"], name="customer_board_counts"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["grade", "next_follow_up_on"], name="customer_board_column"),
        ),
    ]
