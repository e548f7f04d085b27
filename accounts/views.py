import math

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import ApiTokenForm
from .models import ApiToken, User
from .permissions import managed_teams, manager_required
from .services import api_token_create, api_token_revoke


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


def profile(request):
    """The person's own page: who they are, their password, and their personal API tokens (a new key is shown
    once, in the answer to the form that made it: only its hash is kept)."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = api_token_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                form.add_error(field, errors)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user).select_related("revoked_by")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "tokens": tokens, "new_key": new_key},
        status=400 if form.errors else 200,
    )


@require_POST
def api_token_revoke_view(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # an admin revokes others' in the admin site
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name})
    return redirect("accounts:profile")
