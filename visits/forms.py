import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.permissions import owner_choices
from crm.dates import validate_plausible_day
from crm.deals.forms import StageChoiceField
from crm.deals.models import Stage
from crm.deals.models import Status as DealStatus
from crm.formatting import DATETIME_LOCAL_INPUT

from .models import ObjectionKind, Visit

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_INPUT)


def _fits_a_database_integer(pk):
    try:
        return -(2**63) <= int(pk) < 2**63
    except (TypeError, ValueError):
        return True  # not a number: the field refuses it itself


class ContactsMetField(forms.ModelMultipleChoiceField):
    """The contacts met, by id. An id past the 64-bit integers is refused before the lookup SQLite fails on."""

    def clean(self, value):
        if isinstance(value, list | tuple) and not all(_fits_a_database_integer(pk) for pk in value):
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        return super().clean(value)


class DealChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, deal):
        return f"{deal.title} · {deal.stage.name}"


class VisitForm(forms.ModelForm):
    """Quick log: the essentials first, the rest folded away for when there is time."""

    # The fields under "More details": the fold opens itself when one of them holds an error.
    FOLDED_FIELDS = (
        "ended_at", "purpose", "needs", "objection_kind", "objection_text", "commitments", "next_step_owner",
        "help_needed",
    )  # fmt: skip

    objection_kind = forms.ChoiceField(
        label=_("Objection type"), choices=[("", "—"), *ObjectionKind.choices], required=False
    )
    objection_text = forms.CharField(label=_("Objection raised"), required=False, max_length=255)
    # Filled by offline.js with an id made on the phone; the template renders it (not the layout), new visits only.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Visit
        field_classes = {"contacts": ContactsMetField}
        fields = [
            "method", "started_at", "contacts", "discussion", "next_step", "next_step_due", "ended_at", "purpose",
            "needs", "commitments", "next_step_owner", "help_needed", "deal",
        ]  # fmt: skip
        widgets = {
            "started_at": DATETIME_INPUT,
            "ended_at": DATETIME_INPUT,
            "next_step_due": forms.DateInput(attrs={"type": "date"}),
            "contacts": forms.CheckboxSelectMultiple,
            "discussion": forms.Textarea(attrs={"rows": 3}),
            "needs": forms.Textarea(attrs={"rows": 2}),
            "commitments": forms.Textarea(attrs={"rows": 2}),
            "help_needed": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, customer, actor, correcting=False, prefill=None, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = list(customer.contacts.all())
        for name in ("started_at", "ended_at", "next_step_due"):
            self.fields[name].validators.append(validate_plausible_day)
        self.fields["contacts"].queryset = customer.contacts.all()
        self.fields["next_step_owner"].queryset = owner_choices(actor)
        if not self.instance.pk:
            self.initial.setdefault("started_at", timezone.localtime().replace(second=0, microsecond=0))
            self.initial.setdefault("next_step_owner", actor.pk)  # offered only if among the choices
            self._prefill(prefill or {}, contacts)
            self.initial.setdefault("contacts", [c.pk for c in contacts if c.is_primary])
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            # A date-time input needs the whole width of a 375 px phone.
            Row(Column("method", css_class="col-sm-6"), Column("started_at", css_class="col-sm-6")),
            "contacts",
            "discussion",
            Row(Column("next_step", css_class="col-md-8"), Column("next_step_due", css_class="col-md-4")),
            HTML(
                format_lazy(
                    '<details class="mb-3" id="more-details"{}><summary class="mb-2">{}</summary>',
                    "{% if form.folded_has_errors %} open{% endif %}",
                    _("More details"),
                )
            ),
            Row(Column("ended_at", css_class="col-md-6"), Column("purpose", css_class="col-md-6")),
            "needs",
            Row(Column("objection_kind", css_class="col-md-4"), Column("objection_text", css_class="col-md-8")),
            "commitments",
            "next_step_owner",
            "help_needed",
            HTML("</details>"),
        )
        self._offer_deals(customer)
        if correcting:
            self.fields["correction_reason"] = forms.CharField(
                label=_("Reason for the correction"),
                max_length=255,
                help_text=_("This log is past its edit window: the change and your reason are kept with it."),
            )
            self.helper.layout.insert(0, "correction_reason")

    def _offer_deals(self, customer):
        """While the customer has open deals: which one the visit was about, and (logging) the stage its next step
        moves it to. Without open deals neither field is on the form."""
        deals = customer.opportunities.filter(Q(status=DealStatus.OPEN) | Q(pk=self.instance.deal_id)).select_related(
            "stage"
        )
        if not deals.exists():
            del self.fields["deal"]
            return
        self.fields["deal"] = DealChoiceField(label=_("About deal"), queryset=deals, required=False, empty_label="—")
        fields = ["deal"]
        if not self.instance.pk:
            self.fields["deal_stage"] = StageChoiceField(
                label=_("The next step moves the deal to"), queryset=Stage.objects.filter(is_active=True),
                required=False, empty_label=_("(stage unchanged)"),
            )  # fmt: skip
            fields.append("deal_stage")
        self.helper.layout.insert(3, Row(*(Column(name, css_class="col-md-6") for name in fields)))

    def _prefill(self, prefill, contacts):
        """A call placed from My day: `?method=phone&contact=<id>`. A contact of another customer is ignored."""
        if prefill.get("method") in dict(self.fields["method"].choices):
            self.initial["method"] = prefill["method"]
        contact = next((c for c in contacts if str(c.pk) == prefill.get("contact")), None)
        if contact:
            self.initial["contacts"] = [contact.pk]

    @property
    def folded_has_errors(self):
        return any(name in self.errors for name in self.FOLDED_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("objection_text") and not cleaned.get("objection_kind"):
            self.add_error("objection_kind", _("Say what kind of objection it was."))
        started, ended = cleaned.get("started_at"), cleaned.get("ended_at")
        if started and ended and ended < started:
            self.add_error("ended_at", _("The end is before the start."))
        if started and started > timezone.now() + datetime.timedelta(minutes=5):
            self.add_error("started_at", _("A visit is logged after it happened, not before."))
        if cleaned.get("next_step") and not cleaned.get("next_step_due"):
            self.add_error("next_step_due", _("Give the next step a date."))
        return cleaned

    def objections(self):
        text = self.cleaned_data.get("objection_text")
        return [(self.cleaned_data["objection_kind"], text)] if text else []


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class SnoozeForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Pause for"), coerce=int, choices=[(30, _("30 days")), (60, _("60 days"))], initial=30
    )
    reason = forms.CharField(label=_("What the customer said"), max_length=255)


class SiteForm(forms.Form):
    """A customer's site position; left empty, the proposed position is confirmed as it is."""

    lat = forms.DecimalField(
        label=_("Latitude"), min_value=-90, max_value=90, max_digits=9, decimal_places=6, required=False
    )
    lng = forms.DecimalField(
        label=_("Longitude"), min_value=-180, max_value=180, max_digits=9, decimal_places=6, required=False
    )

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("lat") is None) != (cleaned.get("lng") is None):
            raise forms.ValidationError(_("Give both latitude and longitude, or neither to confirm the proposed site."))
        return cleaned
