from django.apps import AppConfig
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    """Complaint records and their workflow (DOMAIN §4): built on the customers, nothing else of the domain."""

    name = "crm.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self):
        # Models and services load once the registry is ready, hence here and not at the top.
        from crm.models import Contact

        from .services import contact_deleting

        # A complaint must name its complainant: a contact being deleted leaves its name on their complaints.
        pre_delete.connect(contact_deleting, sender=Contact, dispatch_uid="complaints.keep_complainant_name")
