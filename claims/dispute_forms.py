"""Forms for disputes and departures: they collect what the claims services need, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.permissions import owner_choices, sells

from .models import SPLIT_PRESETS, DisputeKind, Outcome
from .permissions import can_open_dispute


class DisputeOpenForm(forms.Form):
    """A rep's case that they were first; a manager may instead record the customer's wish (DOMAIN §5 rule 9)."""

    kind = forms.ChoiceField(
        label=pgettext_lazy("dispute", "What happened"),
        choices=[
            (DisputeKind.CLAIM, _("I was first with this customer")),
            (DisputeKind.CUSTOMER_WISH, _("The customer asks for another rep")),
        ],
        initial=DisputeKind.CLAIM,
        widget=forms.RadioSelect,
    )
    challenger = forms.ModelChoiceField(
        label=_("Rep the customer asks for"), queryset=None, required=False, empty_label="—"
    )
    statement = forms.CharField(
        label=_("Your case"),
        help_text=_(
            "When you first contacted the customer, how (visit, phone, exhibition…), and your evidence. "
            "For a customer's wish: who asked, when, and why."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, actor, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["challenger"].queryset = owner_choices(actor).exclude(pk=customer.owner_id)
        if not can_open_dispute(actor, customer, kind=DisputeKind.CUSTOMER_WISH):  # a rep gives their own case
            del self.fields["kind"], self.fields["challenger"]
            return
        self.fields["statement"].label = _("The case")
        if not sells(actor):  # admins hold no customers: they only record a customer's wish
            self.fields["kind"].choices = [(DisputeKind.CUSTOMER_WISH, DisputeKind.CUSTOMER_WISH.label)]
            self.fields["kind"].initial = DisputeKind.CUSTOMER_WISH

    def clean(self):
        data = super().clean()
        data.setdefault("kind", DisputeKind.CLAIM)
        if data["kind"] == DisputeKind.CUSTOMER_WISH:
            if not data.get("challenger"):
                self.add_error("challenger", _("Choose the rep the customer asks for."))
        else:
            data["challenger"] = None
        return data


# Keyed by the holder's share: the number the form field and the service take.
PRESET_CHOICES = [("", _("Choose a customary split…"))] + [
    (str(holder), label) for holder, _challenger, label in SPLIT_PRESETS
]


class DisputeDecideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Outcome.choices, widget=forms.RadioSelect)
    preset = forms.ChoiceField(
        label=_("Customary split"),
        choices=PRESET_CHOICES,
        required=False,
        widget=forms.Select(attrs={"data-fills": "id_holder_share"}),
    )
    holder_share = forms.IntegerField(
        label=_("Holder's share (%)"),
        min_value=1,
        max_value=99,
        required=False,
        help_text=_("Only for a split: the challenger gets the rest."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-complement": "challenger-share"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Both reps will read it."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Outcome.SPLIT:
            # A chosen preset stands in for an empty number (the page fills the number itself when scripts run).
            if data.get("holder_share") is None and data.get("preset"):
                data["holder_share"] = int(data["preset"])
            if data.get("holder_share") is None and "holder_share" not in self.errors:
                self.add_error(
                    "holder_share", _("A split needs the holder's share: choose a customary split or type it.")
                )
        else:
            data["holder_share"] = None
        return data


class DepartForm(forms.Form):
    POOL, REASSIGN = "pool", "reassign"

    destination = forms.ChoiceField(
        label=_("Their customers"),
        choices=[(POOL, _("Return all to the pool")), (REASSIGN, _("Reassign all to"))],
        initial=POOL,
        widget=forms.RadioSelect,
    )
    reassign_to = forms.ModelChoiceField(label=_("Colleague"), queryset=None, required=False, empty_label="—")
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional. Written into each customer's ownership history."),
    )  # fmt: skip

    def __init__(self, *args, actor, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reassign_to"].queryset = owner_choices(actor).exclude(pk=person.pk)

    def clean(self):
        data = super().clean()
        if data.get("destination") == self.REASSIGN:
            if not data.get("reassign_to"):
                self.add_error("reassign_to", _("Choose who takes over the customers."))
        else:
            data["reassign_to"] = None
        return data
