from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    """First-contact ownership, the shared pool and disputes (DOMAIN §5)."""

    name = "claims"
    verbose_name = _("Ownership")
