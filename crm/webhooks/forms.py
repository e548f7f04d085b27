from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Endpoint, Event


class EndpointForm(forms.ModelForm):
    """Registering an endpoint: a name, an https:// address and the events it wants. The secret is made for it."""

    url = forms.URLField(
        label=_("Address"), max_length=500, assume_scheme="https", help_text=_("https://, where the receiver listens.")
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )  # fmt: skip

    class Meta:
        model = Endpoint
        fields = ["name", "url", "events"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
