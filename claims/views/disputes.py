"""Disputes over who owns a customer (DOMAIN §5 rules 6, 7, 9): open one, the queue, both sides, the decision."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.formatting import days_since
from crm.models import Customer
from visits.models import Visit

from .. import services
from ..dispute_forms import DisputeDecideForm, DisputeOpenForm
from ..models import Claim, Dispute, DisputeState, EventKind, OwnershipEvent
from ..permissions import (
    can_decide_dispute,
    decides_for_admins,
    disputable_customers,
    disputes_decidable_by,
    explains_party,
)
from ..services import OwnershipRefused

RECENTLY_DECIDED = 20
# History rows in which a rep received the customer: the evidence of when each side held it.
RECEIVED = [EventKind.REGISTERED, EventKind.CLAIMED, EventKind.TRANSFERRED, EventKind.DECIDED, EventKind.DEPARTED]


def _active_claim(customer):
    return Claim.objects.active().filter(customer=customer).select_related("holder", "shared_with").first()


def _protection_left(claim):
    return None if claim is None else (claim.protected_until - timezone.localdate()).days


def dispute_open(request, pk):
    customer = get_object_or_404(disputable_customers(request.user).select_related("owner"), pk=pk)
    form = DisputeOpenForm(request.POST or None, actor=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        challenger = form.cleaned_data["challenger"]
        already_open = Dispute.objects.open().filter(customer=customer, challenger=challenger or request.user).exists()
        try:
            dispute = services.dispute_open(
                customer=customer,
                actor=request.user,
                statement=form.cleaned_data["statement"],
                kind=form.cleaned_data["kind"],
                challenger=challenger,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if already_open:
                messages.info(request, _("This dispute was already open; your new statement was not added."))
            else:
                messages.success(request, _("Dispute opened. The decider and both reps have been told."))
            return redirect("claims:dispute_detail", pk=dispute.pk)
    claim = _active_claim(customer)
    return render(
        request,
        "claims/dispute_open.html",
        {"form": form, "customer": customer, "claim": claim, "protection_left": _protection_left(claim)},
        status=400 if form.errors else 200,
    )


def dispute_list(request):
    """The open disputes the user sees (a manager's team, every one for an admin, a rep's own) and recent decisions."""
    user = request.user
    visible = Dispute.objects.visible_to(user).select_related("customer", "holder", "challenger", "team__manager")
    queue = visible.open().annotate(may_decide=Exists(disputes_decidable_by(user).filter(pk=OuterRef("pk"))))
    admins_only = decides_for_admins(user) and request.GET.get("decider") == "admin"
    if admins_only:
        queue = queue.for_admins()
    queue = list(queue.order_by("opened_at", "pk"))
    today = timezone.localdate()
    for dispute in queue:
        dispute.age_days = days_since(dispute.opened_at, today)
    decided = visible.filter(state=DisputeState.DECIDED).select_related("decided_by").order_by("-decided_at", "-pk")
    return render(
        request,
        "claims/dispute_list.html",
        {
            "queue": queue,
            "decided": decided[:RECENTLY_DECIDED],
            "admins_only": admins_only,
            "admin_queue": decides_for_admins(user),
        },
    )


def _first_line(text):
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _attempt(dispute):
    """The registration that collided, as the challenger typed it."""
    if not dispute.attempt:
        return None
    attempt = dict(dispute.attempt)
    for moment in ("at", "registered_at"):  # registered_at: an edit, of the challenger's record registered then
        try:
            attempt[moment] = datetime.datetime.fromisoformat(attempt.get(moment, ""))
        except ValueError:
            attempt[moment] = None
    return attempt


def _sides(dispute, reader, reader_sees_customer):
    """Holder and challenger, each with when they received the customer, their claims and their visits.

    A side who may not see the customer's card learns when the other side visited, not what was said.
    """
    people = [person for person in (dispute.holder, dispute.challenger) if person is not None]
    customer_id = dispute.customer_id
    events = OwnershipEvent.objects.filter(customer_id=customer_id, to_user__in=people, kind__in=RECEIVED)
    events = events.select_related("actor", "from_user", "dispute__holder", "dispute__challenger")
    events = list(events.order_by("at", "pk"))
    claims = list(
        Claim.objects.filter(customer_id=customer_id, holder__in=people)
        .select_related("holder", "shared_with")
        .order_by("started_at", "pk")
    )
    visits = list(Visit.objects.filter(customer_id=customer_id, author__in=people).order_by("started_at", "pk"))
    for visit in visits:
        visit.first_line = _first_line(visit.discussion) if reader_sees_customer or visit.author_id == reader.pk else ""
    attempt = _attempt(dispute)
    sides = []
    for role, person in ((_("Holder"), dispute.holder), (_("Challenger"), dispute.challenger)):
        if person is None:
            continue
        side = {
            "role": role,
            "person": person,
            "events": [event for event in events if event.to_user_id == person.pk],
            "claims": [claim for claim in claims if claim.holder_id == person.pk],
            "visits": [visit for visit in visits if visit.author_id == person.pk],
            "attempt": attempt if person == dispute.challenger else None,
        }
        dates = [row.at for row in side["events"]] + [claim.started_at for claim in side["claims"]]
        dates += [visit.started_at for visit in side["visits"]]
        if side["attempt"] and side["attempt"]["at"]:
            dates.append(side["attempt"]["at"])
        side["first_on_record"] = min(dates, default=None)
        sides.append(side)
    return sides


def dispute_detail(request, pk):
    dispute = get_object_or_404(
        Dispute.objects.visible_to(request.user).select_related(
            "customer__owner", "customer__referred_by", "holder", "challenger", "opened_by", "decided_by",
            "team__manager",
        ),
        pk=pk,
    )  # fmt: skip
    is_open = dispute.state == DisputeState.OPEN
    may_decide = is_open and can_decide_dispute(request.user, dispute)
    if request.method == "POST" and is_open and not may_decide:
        raise PermissionDenied  # parties included: they never get the form, and the service refuses them too
    form = DisputeDecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.dispute_decide(
                dispute=dispute,
                actor=request.user,
                outcome=data["outcome"],
                reason=data["reason"],
                holder_share=data["holder_share"],
            )
        except OwnershipRefused as refusal:
            messages.error(request, " ".join(refusal.messages))
            return redirect("claims:dispute_detail", pk=dispute.pk)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Decision recorded; both reps have been told."))
            return redirect("claims:dispute_detail", pk=dispute.pk)
    customer = dispute.customer
    claim = _active_claim(customer)
    customer_visible = Customer.objects.visible_to(request.user).filter(pk=customer.pk).exists()
    return render(
        request,
        "claims/dispute_detail.html",
        {
            "dispute": dispute,
            "customer": customer,
            "customer_visible": customer_visible,
            "claim": claim,
            "protection_left": _protection_left(claim),
            "sides": _sides(dispute, request.user, customer_visible),
            "is_open": is_open,
            "may_decide": may_decide,
            "explains_party": is_open and explains_party(request.user, dispute),
            "takes_over": may_decide and dispute.deciding_manager not in (None, request.user),
            "form": form if may_decide else None,
        },
        status=400 if form.errors else 200,
    )
