from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers")

    def ready(self):
        from .api import schema  # noqa: F401 (registers the API's authentication in the schema)
