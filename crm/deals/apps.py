from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    """The opportunity pipeline (DOMAIN §6): deals on customers, moved through stages an admin keeps as data.

    Built on the customers alone; visits point at deals, and claims lengthens protection when a deal is won
    (it listens to `signals.deal_won`)."""

    name = "crm.deals"
    label = "deals"
    verbose_name = _("Deals")
