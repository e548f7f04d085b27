from django.db import migrations

from accounts.append_only import refuse_truncate_operation


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_dispute_arbiter_reason")]

    operations = [refuse_truncate_operation("claims_ownershipevent")]
