from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoardConfig(AppConfig):
    """The managers' follow-up board and its weekly digest: reads customers, visits, claims and complaints."""

    name = "claims.board"
    label = "board"
    verbose_name = _("Follow-up board")
