from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    """Photos and files kept with a record (a visit, a complaint). The records' apps register themselves
    (`crm.evidence.owners`), so this app knows none of them and any of them may use it."""

    name = "crm.evidence"
    label = "evidence"
    verbose_name = _("Attachments")
