from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Layout, Row
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.permissions import owner_choices
from crm.dates import validate_plausible_day
from crm.models import BuyingRole

from .models import CloseReason, Competitor, Opportunity, OpportunityLine, Outcome, Participant, Stage

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
MONEY_INPUT = forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"})


def _no_form_tag(form):
    form.helper = FormHelper()
    form.helper.form_tag = False
    return form


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, stage):
        return stage.name


class ReasonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, reason):
        return reason.name


class OpportunityForm(forms.ModelForm):
    """A deal on a phone: what and when first; quote, delivery and notes folded away until they are known."""

    FOLDED_FIELDS = ("quote_amount", "quote_on", "delivery_on", "probability", "next_step_owner", "notes")

    class Meta:
        model = Opportunity
        fields = [
            "title", "expected_close_on", "need_confirmed", "next_step", "next_step_due", "next_step_owner",
            "probability", "quote_amount", "quote_on", "delivery_on", "notes",
        ]  # fmt: skip
        widgets = {
            "expected_close_on": DATE_INPUT,
            "next_step_due": DATE_INPUT,
            "quote_on": DATE_INPUT,
            "delivery_on": DATE_INPUT,
            "quote_amount": MONEY_INPUT,
            "probability": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 100}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["probability"].required = False
        for name in ("expected_close_on", "next_step_due", "quote_on", "delivery_on"):
            self.fields[name].validators.append(validate_plausible_day)
        self.fields["next_step_owner"].queryset = owner_choices(actor)
        if not self.instance.pk:
            self.initial.setdefault("next_step_owner", actor.pk)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "title",
            Row(
                Column("expected_close_on", css_class="col-sm-6"),
                Column("need_confirmed", css_class="col-sm-6 pt-sm-4"),
            ),
            Row(Column("next_step", css_class="col-md-8"), Column("next_step_due", css_class="col-md-4")),
            HTML(
                format_lazy(
                    '<details class="mb-3"{}><summary class="mb-2">{}</summary>',
                    "{% if form.folded_has_errors %} open{% endif %}",
                    _("More details"),
                )
            ),
            Row(Column("quote_amount", css_class="col-6"), Column("quote_on", css_class="col-6")),
            Row(Column("delivery_on", css_class="col-6"), Column("probability", css_class="col-6")),
            "next_step_owner",
            "notes",
            HTML("</details>"),
        )

    @property
    def folded_has_errors(self):
        return any(name in self.errors for name in self.FOLDED_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("next_step") and not cleaned.get("next_step_due"):
            self.add_error("next_step_due", _("Give the next step a date."))
        if cleaned.get("quote_on") and cleaned.get("quote_amount") is None:
            self.add_error("quote_amount", _("Give the quote's amount."))
        return cleaned


class LineForm(forms.ModelForm):
    class Meta:
        model = OpportunityLine
        fields = ["product", "model", "quantity", "unit_price"]
        widgets = {"unit_price": MONEY_INPUT, "quantity": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _no_form_tag(self).helper.layout = Layout(
            Row(Column("product", css_class="col-sm-7"), Column("model", css_class="col-sm-5")),
            Row(Column("quantity", css_class="col-4"), Column("unit_price", css_class="col-8")),
        )


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, contact):
        return f"{contact.name} · {contact.title}" if contact.title else contact.name


class ParticipantForm(forms.ModelForm):
    """One of the customer's contacts and the role they play in this deal."""

    class Meta:
        model = Participant
        fields = ["contact", "role"]

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"] = ContactChoiceField(label=_("Contact"), queryset=customer.contacts.all())
        self.fields["role"].choices = [("", "—"), *BuyingRole.choices]
        _no_form_tag(self).helper.layout = Layout(
            Row(Column("contact", css_class="col-sm-6"), Column("role", css_class="col-sm-6"))
        )


class CompetitorForm(forms.ModelForm):
    class Meta:
        model = Competitor
        fields = ["name", "offer", "strengths"]
        widgets = {"offer": MONEY_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _no_form_tag(self).helper.layout = Layout(
            Row(Column("name", css_class="col-sm-6"), Column("offer", css_class="col-sm-6")), "strengths"
        )


class MoveForm(forms.Form):
    """Another stage; a manager moving past missing requirements writes why."""

    to_stage = StageChoiceField(label=_("Move to"), queryset=Stage.objects.none(), empty_label=None)
    reason = forms.CharField(
        label=_("Reason to move past what is missing (managers)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, opportunity, can_override=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].queryset = Stage.objects.filter(is_active=True).exclude(pk=opportunity.stage_id)
        if not can_override:
            del self.fields["reason"]
        _no_form_tag(self)


class CloseForm(forms.Form):
    """Won, lost or abandoned: a reason from the admins' list and a note; a lost deal names who won it."""

    close_reason = ReasonChoiceField(label=_("Reason"), queryset=CloseReason.objects.none(), required=False)
    won_by = forms.CharField(label=_("Competitor who won"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, outcome, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome = outcome
        self.fields["close_reason"].queryset = CloseReason.objects.filter(outcome=outcome, is_active=True)
        if outcome == Outcome.LOST:
            self.fields["close_reason"].required = True
        else:
            del self.fields["won_by"]
        _no_form_tag(self)


class TargetAmountField(forms.DecimalField):
    """CNY as people type it: thousands separators (1,000,000 or 1，000，000) and spaces are allowed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(min_value=0, max_digits=14, decimal_places=2, required=False, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace("，", "").replace(" ", "").replace("¥", "")
        return super().to_python(value)


class SalesTargetGridForm(forms.Form):
    """Targets for reps × periods, one box each; an emptied box removes the target."""

    def __init__(self, *args, reps, periods, targets, **kwargs):
        """`targets` maps (rep pk, period key) to the amount set now."""
        self.reps, self.periods = list(reps), list(periods)
        initial = {self.field_name(rep_pk, key): amount for (rep_pk, key), amount in targets.items()}
        super().__init__(*args, initial=initial, **kwargs)
        for rep in self.reps:
            for period in self.periods:
                label = format_lazy("{rep} · {period}", rep=rep, period=period.label)
                self.fields[self.field_name(rep.pk, period.key)] = TargetAmountField(label=label)

    @staticmethod
    def field_name(rep_pk, key) -> str:
        return f"t-{rep_pk}-{key}"

    def grid(self):
        """Rows of (rep, [bound field per period]) for the template."""
        return [(rep, [self[self.field_name(rep.pk, period.key)] for period in self.periods]) for rep in self.reps]

    def changes(self):
        """(rep, period, amount or None) for every box that differs from the stored target."""
        by_name = {self.field_name(rep.pk, period.key): (rep, period) for rep in self.reps for period in self.periods}
        return [(*by_name[name], self.cleaned_data[name]) for name in self.changed_data if name in by_name]
