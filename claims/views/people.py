"""A rep leaves (DOMAIN §5 rule 8): their customers go back to the department, to a colleague or the pool."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import ngettext

from accounts.models import User
from accounts.permissions import manager_required
from crm.models import Customer

from ..dispute_forms import DepartForm
from ..permissions import can_depart
from ..services import rep_depart


def _team_page(person):
    url = reverse("accounts:team")
    return f"{url}?team={person.team_id}" if person.team_id else url


@manager_required
def depart(request, pk):
    """A manager for the people of their team, an admin for anyone; never oneself."""
    person = get_object_or_404(User.objects.visible_to(request.user).select_related("team"), pk=pk)
    if not can_depart(request.user, person):
        raise Http404  # oneself: as before, no such page
    form = DepartForm(request.POST or None, actor=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        reassign_to = form.cleaned_data["reassign_to"]
        try:
            moved = rep_depart(
                rep=person, actor=request.user, reassign_to=reassign_to, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if reassign_to:
                message = ngettext(
                    "%(name)s is marked as departed; %(count)s customer was reassigned to %(to)s.",
                    "%(name)s is marked as departed; %(count)s customers were reassigned to %(to)s.",
                    moved,
                )
            else:
                message = ngettext(
                    "%(name)s is marked as departed; %(count)s customer went back to the pool.",
                    "%(name)s is marked as departed; %(count)s customers went back to the pool.",
                    moved,
                )
            messages.success(request, message % {"name": person, "count": moved, "to": reassign_to})
            return redirect(_team_page(person))
    return render(
        request,
        "claims/depart.html",
        {
            "person": person,
            "form": form,
            "held": Customer.objects.filter(owner=person).count(),
            "team_page": _team_page(person),
        },
        status=400 if form.errors else 200,
    )
