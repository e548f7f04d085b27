"""The list's name index holds the holder, so that an old `?page=N` link skips its rows in the index alone."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0031_customer_names_searched_in_their_own_table'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_name_order',
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['name', 'id'], include=('owner',), name='customer_name_order'),
        ),
    ]
