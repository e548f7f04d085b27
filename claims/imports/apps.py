from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Customer import from a spreadsheet: a bulk registration, so it sits on top of claims (and crm)."""

    name = "claims.imports"
    label = "imports"
    verbose_name = _("Customer imports")
