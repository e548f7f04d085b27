import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Layout, Row
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from accounts.permissions import owner_choices
from crm.dates import validate_plausible_day
from crm.formatting import DATETIME_LOCAL_INPUT

from .models import Complaint, State
from .services import REQUIRED_FOR, STEP_FIELDS

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_INPUT)
TEXTAREA = {"rows": 3}
# The folded part opens by itself when one of its fields has an error.
FOLDED_ERRORS = (
    "{% if form.assignee.errors or form.root_cause.errors or form.resolution_actions.errors"
    " or form.improvement_measures.errors %} open{% endif %}"
)


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, contact):
        return f"{contact.name} · {contact.title}" if contact.title else contact.name


def assignee_field(actor, current=None):
    """Whom the actor may hand the complaint to; the present assignee stays choosable."""
    people = owner_choices(actor).values("pk")
    queryset = User.objects.filter(Q(pk__in=people) | Q(pk=getattr(current, "pk", None))).select_related("team")
    return forms.ModelChoiceField(
        label=pgettext_lazy("complaint", "Assignee"),
        queryset=queryset.order_by("username"),
        required=current is not None,
        empty_label=_("The customer's owner"),
        help_text=None if current else _("Empty: the customer's owner handles it."),
    )


class ComplaintForm(forms.ModelForm):
    """Recording a complaint on a phone: who, what, how bad; the analysis folded away until it is known."""

    class Meta:
        model = Complaint
        fields = [
            "received_at", "complainant", "complainant_name", "phone", "description", "reference", "category",
            "severity", "root_cause", "resolution_actions", "improvement_measures",
        ]  # fmt: skip
        widgets = {
            "received_at": DATETIME_INPUT,
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "description": forms.Textarea(attrs=TEXTAREA),
            "root_cause": forms.Textarea(attrs=TEXTAREA),
            "resolution_actions": forms.Textarea(attrs=TEXTAREA),
            "improvement_measures": forms.Textarea(attrs=TEXTAREA),
        }
        labels = {"complainant_name": _("or their name")}

    def __init__(self, *args, customer, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["complainant"] = ContactChoiceField(
            label=_("Complainant (one of the contacts)"),
            queryset=customer.contacts.all(),
            required=False,
            empty_label="—",
        )
        self.fields["assignee"] = assignee_field(actor)
        self.fields["received_at"].validators.append(validate_plausible_day)
        self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("complainant", css_class="col-md-6"), Column("complainant_name", css_class="col-md-6")),
            Row(Column("phone", css_class="col-6"), Column("received_at", css_class="col-6")),
            "description",
            "reference",
            Row(Column("category", css_class="col-6"), Column("severity", css_class="col-6")),
            HTML(
                format_lazy(
                    '<details class="mb-3"{}><summary class="mb-2">{}</summary>', FOLDED_ERRORS, _("More details")
                )
            ),
            "assignee",
            "root_cause",
            "resolution_actions",
            "improvement_measures",
            HTML("</details>"),
        )

    def clean(self):
        cleaned = super().clean()
        contact = cleaned.get("complainant")
        if not contact and not cleaned.get("complainant_name", "").strip() and "complainant" not in self.errors:
            self.add_error("complainant_name", _("Choose the contact who complained or write their name."))
        if contact and not cleaned.get("phone"):
            cleaned["phone"] = contact.phones[: Complaint._meta.get_field("phone").max_length]
        received = cleaned.get("received_at")
        if received and received > timezone.now() + datetime.timedelta(minutes=5):
            self.add_error("received_at", _("A complaint is recorded once it was received, not before."))
        return cleaned


class ComplaintEditForm(forms.ModelForm):
    """What the team learns and does after the complaint was recorded."""

    class Meta:
        model = Complaint
        fields = [
            "root_cause", "resolution_actions", "customer_response", "improvement_measures", "severity", "category",
            "reference",
        ]  # fmt: skip
        widgets = {
            "root_cause": forms.Textarea(attrs=TEXTAREA),
            "resolution_actions": forms.Textarea(attrs=TEXTAREA),
            "customer_response": forms.Textarea(attrs=TEXTAREA),
            "improvement_measures": forms.Textarea(attrs=TEXTAREA),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = assignee_field(actor, current=self.instance.assignee)
        self.initial.setdefault("assignee", self.instance.assignee_id)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "root_cause",
            "resolution_actions",
            "customer_response",
            "improvement_measures",
            Row(Column("severity", css_class="col-6"), Column("category", css_class="col-6")),
            Row(Column("assignee", css_class="col-md-6"), Column("reference", css_class="col-md-6")),
        )

    def clean(self):
        cleaned = super().clean()
        # The fields a step required stay filled while the complaint is in that step or beyond.
        reached = list(State.values).index(self.instance.state)
        for step, (field, _message) in REQUIRED_FOR.items():
            if list(State.values).index(step) <= reached and not cleaned.get(field, "").strip():
                state = self.instance.get_state_display()
                self.add_error(field, _("A complaint that is %(state)s needs this filled in.") % {"state": state})
        return cleaned

    def save(self, commit=False):
        """The edited complaint, unsaved: complaints.services.complaint_update saves it and records the step."""
        complaint = super().save(commit=False)
        complaint.assignee = self.cleaned_data["assignee"]
        return complaint


# Under a field a step still needs, which step needs it.
STEP_FIELD_HELP = {
    "resolution_actions": _("Needed to mark it resolved."),
    "customer_response": _("Needed to close it: closed means the customer accepted."),
}


class ComplaintStepForm(forms.Form):
    """The next step, with the fields its possible steps still need, so that one submit takes it.

    Every field is optional here: complaints.services.complaint_move judges what the chosen step needs.
    """

    note = forms.CharField(
        label=_("Note (required to reopen)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, complaint, **kwargs):
        super().__init__(*args, **kwargs)
        needed = {}
        for state in complaint.allowed_states():
            name = REQUIRED_FOR.get(state, (None,))[0]
            if name and not getattr(complaint, name).strip():
                needed[name] = forms.CharField(
                    label=capfirst(Complaint._meta.get_field(name).verbose_name),
                    required=False,
                    widget=forms.Textarea(attrs=TEXTAREA),
                    help_text=STEP_FIELD_HELP[name],
                )
        self.fields = {**needed, **self.fields}  # what the step needs first, then the note
        self.helper = FormHelper()
        self.helper.form_tag = False

    @property
    def step_fields(self) -> dict[str, str]:
        """What was typed in the fields a step needs, for complaint_move."""
        return {name: value for name, value in self.cleaned_data.items() if name in STEP_FIELDS}

    def focus_first_error(self):
        """Bring the first refused field into view as the page loads (also on a phone, without script)."""
        names = [name for name in self.fields if name in self.errors] or (
            list(self.fields)[:1] if self.non_field_errors() else []
        )
        for name in names[:1]:
            self.fields[name].widget.attrs["autofocus"] = True
