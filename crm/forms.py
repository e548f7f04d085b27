from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row
from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from .models import Contact, Customer, Grade
from .normalize import normalize_name
from .validators import clean_credit_code


class CustomerNameField(forms.CharField):
    """A customer picked by typing its name (a select of every customer would not scale)."""

    def __init__(self, *, queryset, **kwargs):
        self.queryset = queryset
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return self.queryset.model.objects.filter(pk=value).values_list("name", flat=True).first() or ""
        return str(value) if isinstance(value, Customer) else value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        matches = list(self.queryset.filter(name_normalized=normalize_name(value))[:2])
        if not matches:
            raise forms.ValidationError(_("No customer you can see is called “%(name)s”."), params={"name": value})
        if len(matches) > 1:
            raise forms.ValidationError(
                _("Several customers match “%(name)s”: type the full name."), params={"name": value}
            )
        return matches[0]


class CustomerForm(forms.ModelForm):
    # A rep types "www.x.cn"; https is what company sites use today.
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Customer
        fields = [
            "name", "group_name", "phones", "need", "credit_code", "industry", "region", "city", "address", "website",
            "source", "referred_by", "annual_purchases", "share_of_wallet", "relationship_level", "status",
            "is_strategic", "is_high_growth", "man_money", "man_authority", "man_need", "notes",
        ]  # fmt: skip
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "need": forms.Textarea(attrs={"rows": 2}),
            "phones": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "annual_purchases": forms.NumberInput(attrs={"inputmode": "numeric", "step": 10000}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["referred_by"] = CustomerNameField(
            queryset=Customer.objects.visible_to(actor).exclude(pk=self.instance.pk),
            required=False,
            label=_("Referred by (customer name)"),
            widget=forms.TextInput(
                attrs={
                    "list": "customer-suggestions",
                    "autocomplete": "off",
                    "hx-get": reverse_lazy("crm:customer_suggest"),
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#customer-suggestions",
                }
            ),
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Company"),
                "name",
                Row(Column("phones", css_class="col-md-6"), Column("credit_code", css_class="col-md-6")),
                "need",
                Row(Column("industry", css_class="col-md-4"), Column("region", css_class="col-6 col-md-4"),
                    Column("city", css_class="col-6 col-md-4")),
                "address",
                "group_name",
                Row(Column("website", css_class="col-md-6"), Column("source", css_class="col-md-6")),
                "referred_by",
                HTML('<datalist id="customer-suggestions"></datalist>'),
            ),
            Fieldset(
                _("Business and grading"),
                Row(Column("annual_purchases", css_class="col-md-6"), Column("share_of_wallet", css_class="col-md-6")),
                Row(Column("relationship_level", css_class="col-md-6"), Column("status", css_class="col-md-6")),
                Row(Column("is_strategic", css_class="col-md-6"), Column("is_high_growth", css_class="col-md-6")),
            ),
            Fieldset(_("Qualification (MAN)"), "man_money", "man_authority", "man_need"),
            Fieldset(_("Other"), "notes"),
        )  # fmt: skip

    def clean_credit_code(self):
        return clean_credit_code(self.cleaned_data["credit_code"])


class GradeOverrideForm(forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the grade history."),
    )


class FollowSuggestionForm(forms.Form):
    """Ending an override: the grade follows the suggestion again; a reason is welcome, not required."""

    reason = forms.CharField(label=_("Reason"), required=False)


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "name", "title", "department", "phones", "email", "wechat", "buying_role", "attitude",
            "influence", "communication_style", "is_primary", "notes",
        ]  # fmt: skip
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 2}),
            "phones": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("name", css_class="col-md-6"), Column("title", css_class="col-md-6")),
            Row(Column("department", css_class="col-md-6"), Column("phones", css_class="col-md-6")),
            Row(Column("email", css_class="col-md-6"), Column("wechat", css_class="col-md-6")),
            Row(Column("buying_role", css_class="col-md-6"), Column("communication_style", css_class="col-md-6")),
            Row(Column("attitude", css_class="col-6"), Column("influence", css_class="col-6")),
            "is_primary",
            "notes",
        )  # fmt: skip
