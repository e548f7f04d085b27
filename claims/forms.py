from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Row
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import owner_choices
from crm.forms import CustomerForm
from crm.validators import validate_credit_code

REFERRAL_FIELDS = ["referred_by", "introducer_came_along", "asked_for"]


class CustomerEditForm(CustomerForm):
    """A customer as registered or edited in the app, where the duplicate check runs when it is saved."""

    def _get_validation_exclusions(self):
        # A registered credit code is for the duplicate check to answer (in the pool, yours, or a dispute
        # with its holder), not a bare form error; clean_credit_code still checks the code itself.
        return super()._get_validation_exclusions() | {"credit_code"}

    def clean_credit_code(self):
        code = super().clean_credit_code()
        if code:
            validate_credit_code(code)
        return code


class RegistrationForm(CustomerEditForm):
    """A new customer as a rep registers it: name, phone and need are the minimum (DOMAIN §5 rule 1)."""

    introducer_came_along = forms.BooleanField(label=_("The introducer came along"), required=False)
    asked_for = forms.ModelChoiceField(
        label=_("The customer asked for this rep"),
        queryset=User.objects.current().exclude(role="admin").order_by("first_name", "last_name", "username"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("phones", "need"):
            self.fields[name].required = True
        self._fold_referral()

    def _fold_referral(self):
        """The referral fields sit folded in the company part; open when something was typed in them."""
        company = self.helper.layout[0]
        at = company.fields.index("referred_by")
        is_open = self.is_bound and any(self.data.get(name) for name in REFERRAL_FIELDS)
        company.fields[at : at + 1] = [
            HTML(
                format_lazy(
                    '<details class="mb-3" data-testid="referral"{}><summary class="mb-2">{}</summary>'
                    '<p class="small text-body-secondary">{}</p>',
                    " open" if is_open else "",
                    _("Referral"),
                    _(
                        "A referred customer belongs to the rep of the customer who referred it when the "
                        "introducer came along or the customer asked for that rep."
                    ),
                )
            ),
            "referred_by",
            Row(Column("introducer_came_along", css_class="col-md-6"), Column("asked_for", css_class="col-md-6")),
            HTML("</details>"),
        ]


class DuplicateCheckForm(forms.Form):
    q = forms.CharField(label=_("Company name"), required=False)
    phone = forms.CharField(
        label=_("Phone"), required=False, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
    )
    code = forms.CharField(label=_("Credit code"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Row(
            Column("q", css_class="col-md-6"), Column("phone", css_class="col-6 col-md-3"),
            Column("code", css_class="col-6 col-md-3"),
        )  # fmt: skip

    @property
    def has_query(self):
        return self.is_valid() and any(self.cleaned_data.values())


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the ownership history."),
    )


class TransferForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("Transfer to"), queryset=User.objects.none())
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Kept in the ownership history.")
    )

    def __init__(self, *args, actor, holder=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The holder is no choice: giving them what they hold only earns a refusal.
        self.fields["to_user"].queryset = owner_choices(actor).exclude(pk=getattr(holder, "pk", None))
