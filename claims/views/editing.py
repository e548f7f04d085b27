"""Editing a customer: a changed name, credit code, group or phone runs the registration's duplicate check.

It lives here, beside registration, because the check and its answers (the pool's offer, a collision's
dispute) are the claims app's; crm knows nothing of claims.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.views import editable_customer

from ..forms import CustomerEditForm
from ..permissions import can_claim
from ..services import RegistrationOutcome, claimable_from, customer_edit
from .registration import _add_errors, match_rows


def customer_update(request, pk):
    user = request.user
    customer = editable_customer(request, pk)
    name = customer.name  # the page's title: the form writes what was typed onto the instance
    form = CustomerEditForm(request.POST or None, instance=customer, actor=user)
    context = {"form": form, "customer": customer, "name": name}
    if request.method == "POST" and form.is_valid():
        try:
            edit = customer_edit(
                customer=form.save(commit=False), actor=user, confirmed_new=bool(request.POST.get("confirmed_new"))
            )
        except ValidationError as error:
            _add_errors(form, error)
            return render(request, "claims/customer_edit.html", context)
        if edit.outcome == RegistrationOutcome.SAVED:
            messages.success(request, _("Changes saved."))
            return redirect("crm:customer_detail", pk=customer.pk)
        # Refused: nothing saved, and the form shows again with everything typed.
        context.update(
            outcome=edit.outcome,
            existing=edit.customer,
            dispute=edit.dispute,
            matches=match_rows(user, edit.matches),
            can_claim=can_claim(user),
            claimable_from=(
                claimable_from(customers=[edit.customer], rep=user).get(edit.customer.pk)
                if edit.outcome == RegistrationOutcome.POOL
                else None
            ),
        )
    return render(request, "claims/customer_edit.html", context)
