from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Webhooks out: signed JSON posts to the addresses admins register, for the events other apps emit.

    It knows the customers and the people (crm, accounts) and nothing above them: the apps that own an event
    build its payload and call `crm.webhooks.services.emit`.
    """

    name = "crm.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")
