from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    """Visit logs and follow-up reminders (DOMAIN §3)."""

    name = "visits"
    verbose_name = _("Visits")
