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
        from crm.evidence import owners
        from crm.models import Contact

        from .models import Complaint
        from .permissions import can_handle_complaint
        from .services import contact_deleting

        # Photos and files are added and removed by those who handle the complaint.
        owners.register(Complaint, visible=Complaint.objects.visible_to, can_attach=can_handle_complaint)

        # A complaint must name its complainant: a contact being deleted leaves its name on their complaints.
        pre_delete.connect(contact_deleting, sender=Contact, dispatch_uid="complaints.keep_complainant_name")
