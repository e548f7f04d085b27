from django.db import migrations

from accounts.append_only import refuse_truncate_operation


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_audit_log")]

    operations = [refuse_truncate_operation("accounts_auditentry")]
