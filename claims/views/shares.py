"""A rep's shares of the credit after a split decision (DOMAIN §5.7): the list, and each customer's card to read."""

from django.shortcuts import get_object_or_404, redirect, render

from crm.models import Customer
from crm.views import customer_card_context

from ..permissions import credit_shares_of


def credit_shares(request):
    """Customers whose credit the user shares with the holder. Shares come only from decisions: a short list."""
    claims = credit_shares_of(request.user).select_related("customer", "holder", "shared_with")
    return render(request, "claims/credit_shares.html", {"claims": claims.order_by("customer__name", "pk")})


def credit_share_card(request, pk):
    """The card of a customer the user shares the credit of, to read only: this widens no other page."""
    if Customer.objects.visible_to(request.user).filter(pk=pk).exists():
        return redirect("crm:customer_detail", pk=pk)  # their own people's customer: the full card
    claim = get_object_or_404(
        credit_shares_of(request.user).select_related("customer__owner__team", "customer__referred_by",
                                                      "customer__created_by"),
        customer__pk=pk,  # answers "none" for an id past any integer, where customer_id fails on SQLite
    )  # fmt: skip
    context = customer_card_context(request, claim.customer)
    context.update(read_only=True, can_edit=False, can_set_grade=False)
    return render(request, "crm/customer_detail.html", context)
