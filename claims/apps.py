from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    """First-contact ownership, the shared pool and disputes (DOMAIN §5)."""

    name = "claims"
    verbose_name = _("Ownership")

    def ready(self):
        from crm.deals.signals import deal_won
        from visits.signals import visit_logged

        from . import checks  # noqa: F401 (registers the stranded-customers database check)
        from .services import claim_protect_buyer, claim_renew

        # A follow-up the owner logs renews protection, in the visit's own transaction.
        visit_logged.connect(lambda sender, visit, customer, **kwargs: claim_renew(visit=visit, customer=customer),
                             weak=False, dispatch_uid="claims.renew_on_visit")  # fmt: skip
        # A won deal makes the customer a buying one: its holder gets the longer protection at once.
        deal_won.connect(lambda sender, customer, actor, **kwargs: claim_protect_buyer(customer=customer, by=actor),
                         weak=False, dispatch_uid="claims.protect_buyer_on_win")  # fmt: skip
