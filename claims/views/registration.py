"""Registering a customer (with the duplicate check and the first claim) and the duplicate check on its own."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.models import Customer

from ..duplicates import confirm_same, find_duplicates
from ..forms import DuplicateCheckForm, RegistrationForm
from ..permissions import can_claim
from ..services import RegistrationOutcome, claimable_from, customer_register

PREFILL = {"q": "name", "phone": "phones", "code": "credit_code"}  # duplicate-check query -> registration field


def match_rows(user, matches):
    """What a duplicate check may show of each match: the card link only for a customer the user can see, and
    for a pool customer the claim with the day this user may make it."""
    visible = set(
        Customer.objects.visible_to(user).filter(pk__in=[m.customer.pk for m in matches]).values_list("pk", flat=True)
    )
    claiming = can_claim(user)
    pooled = [match.customer for match in matches if match.customer.owner_id is None]
    opens = claimable_from(customers=pooled, rep=user) if claiming and pooled else {}
    return [
        {
            "customer": match.customer,
            "reasons": match.reason_labels,
            "strong": match.is_strong,
            "visible": match.customer.pk in visible,
            "claimable": claiming and match.customer.owner_id is None,
            "claimable_from": opens.get(match.customer.pk),
        }
        for match in matches
    ]


def _without(query, name):
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()


def _chosen_match(data):
    """The pk of the similar name the rep said is the same company ("it is this one"), if any."""
    value = data.get("same_as", "")
    return int(value) if value.isdecimal() and len(value) < 12 else None


def _add_errors(form, error):
    """A service's ValidationError on the form: on its field when the form has one, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def register(request):
    user = request.user
    initial = {field: request.GET[param] for param, field in PREFILL.items() if request.GET.get(param)}
    form = RegistrationForm(request.POST or None, initial=initial, actor=user)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            registration = customer_register(
                customer=form.save(commit=False),
                actor=user,
                confirmed_new=bool(request.POST.get("confirmed_new")),
                introducer_came_along=form.cleaned_data["introducer_came_along"],
                asked_for=form.cleaned_data["asked_for"],
                same_as=_chosen_match(request.POST),
            )
        except ValidationError as error:
            _add_errors(form, error)
            return render(request, "claims/register.html", context)
        customer = registration.customer
        if registration.outcome == RegistrationOutcome.CREATED:
            if customer.owner_id == user.pk:
                messages.success(request, _("Customer “%(name)s” registered.") % {"name": customer.name})
                return redirect("crm:customer_detail", pk=customer.pk)
            messages.success(
                request,
                _("Customer “%(name)s” registered. As a referral it belongs to %(rep)s.")
                % {"name": customer.name, "rep": customer.owner},
            )
            if Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
                return redirect("crm:customer_detail", pk=customer.pk)
            return redirect("crm:customer_list")
        if registration.outcome == RegistrationOutcome.OWN:
            messages.info(request, _("You already hold this customer."))
            return redirect("crm:customer_detail", pk=customer.pk)
        if registration.outcome == RegistrationOutcome.VISIBLE:
            messages.info(
                request,
                _("“%(name)s” is already registered: %(owner)s holds it.")
                % {"name": customer.name, "owner": customer.owner},
            )
            return redirect("crm:customer_detail", pk=customer.pk)
        if registration.outcome == RegistrationOutcome.COLLISION:
            return render(request, "claims/collision.html", {"customer": customer, "dispute": registration.dispute})
        context.update(
            outcome=registration.outcome,
            existing=customer,
            matches=match_rows(user, registration.matches),
            can_claim=can_claim(user),
            claimable_from=(
                claimable_from(customers=[customer], rep=user).get(customer.pk)
                if registration.outcome == RegistrationOutcome.POOL
                else None
            ),
        )
    return render(request, "claims/register.html", context)


def duplicate_check(request):
    """Is this company in the CRM, and who holds it? Names, grades and owners only: no contact details."""
    form = DuplicateCheckForm(request.GET or None)
    matches = None
    if form.has_query:
        query = form.cleaned_data
        found = find_duplicates(name=query["q"], phones=query["phone"], credit_code=query["code"])
        # "It is this one" on a similar name: that row then reads and acts as an exact match.
        found = confirm_same(found, _chosen_match(request.GET)) or found
        matches = match_rows(request.user, found)
    return render(
        request,
        "claims/duplicate_check.html",
        {
            "form": form,
            "matches": matches,
            # Registering a company found as the same one would only end as a claim or a dispute.
            "same_found": any(row["strong"] for row in matches or []),
            "register_query": _without(request.GET, "same_as"),
        },
    )
