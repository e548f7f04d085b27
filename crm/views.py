from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.i18n import set_language

from accounts.models import Team, User

from .models import JobHeartbeat


def home(request):
    """Each role's start page; later apps give reps their day and managers their board."""
    user = request.user
    context = {}
    if user.is_admin:
        context["teams"] = Team.objects.select_related("manager").order_by("name")
        context["heartbeats"] = JobHeartbeat.objects.all()
    elif user.is_manager:
        context["teams"] = user.led_teams.order_by("name")
        context["team_members"] = User.objects.filter(team__manager=user).order_by("username")
    return render(request, "home.html", context)


@login_not_required
@never_cache
def healthz(request):
    """For load balancers and docker healthchecks: the app answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


# The language switch must work on the login page too.
switch_language = login_not_required(set_language)
