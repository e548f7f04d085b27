"""The shared pool (公海) and the changes of owner a rep or manager starts by hand."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import manager_required
from crm.filters import more_filters_open
from crm.formatting import full_date
from crm.http import safe_next
from crm.models import Customer
from crm.paging import EstimatingPaginator

from ..filters import PoolFilter
from ..forms import ReleaseForm, TransferForm
from ..permissions import can_claim
from ..services import OwnershipRefused, claim_from_pool, claim_release, claim_transfer, claimable_from

PAGE_SIZE = 50


def pool(request):
    """Unowned customers, newest in the pool first; each row says why it is there and when it may be claimed."""
    pool_filter = PoolFilter(request.GET or None, queryset=Customer.objects.filter(owner__isnull=True))
    customers = pool_filter.qs.order_by(F("pool_since").desc(nulls_last=True), "pk")
    page = EstimatingPaginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    claiming = can_claim(request.user)
    opens = claimable_from(customers=page, rep=request.user) if claiming else {}
    for customer in page:
        customer.claimable_from = opens.get(customer.pk)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "claims/pool.html",
        {
            "filter": pool_filter,
            "filters_open": more_filters_open(pool_filter.form),
            "page": page,
            "querystring": query.urlencode(),
            "can_claim": claiming,
        },
    )


@require_POST
def claim(request, pk):
    # Any customer, not only visible ones: a rep who was a moment too late learns who took it.
    customer = get_object_or_404(Customer, pk=pk)
    try:
        new_claim = claim_from_pool(customer=customer, actor=request.user)
    except OwnershipRefused as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect(safe_next(request, default="claims:pool"))
    messages.success(
        request,
        _("You hold “%(name)s” now, protected until %(day)s.")
        % {"name": customer.name, "day": full_date(new_claim.protected_until)},
    )
    return redirect("crm:customer_detail", pk=customer.pk)


def _visible_customer(request, pk):
    return get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner"), pk=pk)


def release(request, pk):
    customer = _visible_customer(request, pk)
    if customer.owner_id is None:
        messages.info(request, _("This customer is already in the pool."))
        return redirect("crm:customer_detail", pk=customer.pk)
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            claim_release(customer=customer, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("“%(name)s” is back in the shared pool.") % {"name": customer.name})
            return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "claims/release.html", {"form": form, "customer": customer})


def transfer_from_form(request, customer, form) -> str | None:
    """Apply a valid TransferForm (from the card or the board): what was done, or None with errors on the form."""
    if not form.is_valid():
        return None
    try:
        claim_transfer(customer=customer, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    return _("“%(name)s” now belongs to %(rep)s.") % {"name": customer.name, "rep": form.cleaned_data["to_user"]}


@manager_required
def transfer(request, pk):
    customer = _visible_customer(request, pk)
    form = TransferForm(request.POST or None, actor=request.user, holder=customer.owner)
    if request.method == "POST" and (done := transfer_from_form(request, customer, form)):
        messages.success(request, done)
        return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "claims/transfer.html", {"form": form, "customer": customer})
