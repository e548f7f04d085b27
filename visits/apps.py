from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    """Visit logs and follow-up reminders (DOMAIN §3)."""

    name = "visits"
    verbose_name = _("Visits")

    def ready(self):
        # Models load once the registry is ready, hence here and not at the top.
        from crm.deals.signals import deal_next_step_set
        from crm.evidence import owners

        from .models import Visit
        from .permissions import can_edit_visit
        from .services import reminder_for_deal_step

        # Photos and files are added and removed by whoever may correct the log (its author for a week).
        owners.register(Visit, visible=Visit.objects.visible_to, can_attach=can_edit_visit)
        # A deal's next step is a follow-up on its owner's day, as a visit's is.
        deal_next_step_set.connect(lambda sender, opportunity, **kwargs: reminder_for_deal_step(opportunity),
                                   weak=False, dispatch_uid="visits.deal_next_step")  # fmt: skip
