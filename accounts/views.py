import math

from django.conf import settings
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render

from .models import User
from .permissions import managed_teams, manager_required


@manager_required
def team(request):
    """Members of the team a manager leads; admins may switch to any team."""
    teams = list(managed_teams(request.user))
    team_id = request.GET.get("team")
    if team_id:
        selected = next((t for t in teams if str(t.pk) == team_id), None)
        if selected is None:
            raise Http404
    else:
        selected = teams[0] if teams else None
    # `held`: customers each holds, so someone who left still holding some keeps the departure action.
    members = (
        User.objects.filter(team=selected).annotate(held=Count("customers")).order_by("role", "username")
        if selected
        else []
    )
    return render(request, "accounts/team.html", {"teams": teams, "selected": selected, "members": members})


def locked_out(request, response=None, credentials=None):
    """django-axes calls this instead of logging in once the failure limit is reached."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(request, "accounts/locked_out.html", {"cooloff_minutes": minutes}, status=429)
