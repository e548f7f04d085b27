"""The admins' webhooks pages: endpoints registered and switched off, each with its delivery log."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .forms import EndpointForm
from .models import DeliveryState, DisabledReason, Endpoint
from .permissions import can_manage_webhooks
from .services import endpoint_create, endpoint_disable, endpoint_enable, endpoint_rotate_secret

PAGE_SIZE = 50


def webhooks_admin(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_manage_webhooks(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@webhooks_admin
def endpoint_list(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = endpoint_create(endpoint=form.save(commit=False), actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Endpoint registered. Give its signing secret to the receiver."))
            return redirect("webhooks:detail", pk=endpoint.pk)
    endpoints = Endpoint.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__state=DeliveryState.PENDING)),
        last_delivery_at=Max("deliveries__created_at"),
    )
    return render(
        request,
        "webhooks/endpoint_list.html",
        {
            "form": form,
            "endpoints": endpoints,
            "disabled_for_failures": [e for e in endpoints if e.disabled_reason == DisabledReason.FAILURES],
        },
        status=400 if form.errors else 200,
    )


@webhooks_admin
def endpoint_detail(request, pk):
    endpoint = get_object_or_404(Endpoint.objects.select_related("created_by"), pk=pk)
    deliveries = endpoint.deliveries.prefetch_related("log").order_by("-created_at", "id")
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "webhooks/endpoint_detail.html", {"endpoint": endpoint, "page": page})


ACTIONS = {
    "disable": (endpoint_disable, gettext_lazy("Endpoint disabled: nothing more is sent to it.")),
    "enable": (endpoint_enable, gettext_lazy("Endpoint enabled: it receives the events from now on.")),
    "rotate": (endpoint_rotate_secret, gettext_lazy("New signing secret made: give it to the receiver.")),
}


@require_POST
@webhooks_admin
def endpoint_action(request, pk, action):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    service, done = ACTIONS[action]
    service(endpoint=endpoint, actor=request.user)
    messages.success(request, done)
    return redirect("webhooks:detail", pk=endpoint.pk)
