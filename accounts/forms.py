from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _


class ApiTokenForm(forms.Form):
    """A new personal API token; accounts.services.api_token_create judges the dates."""

    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What will use it, e.g. “ERP sync”."))
    expires_on = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: until revoked."),
    )
    read_only = forms.BooleanField(label=_("Read only: it may read, never change anything"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("name", css_class="col-md-7"), Column("expires_on", css_class="col-md-5")), "read_only"
        )
