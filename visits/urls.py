from django.urls import path

from . import offline, views

app_name = "visits"

urlpatterns = [
    path("day/", views.day, name="day"),
    # The installable app: the worker must be served from the root to control every page.
    path("sw.js", offline.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("offline/csrf/", offline.csrf_token, name="offline_csrf"),
    path("customers/<int:pk>/log/", views.visit_create, name="visit_create"),
    path("customers/<int:pk>/pause/", views.snooze, name="snooze"),
    path("customers/<int:pk>/site/", views.customer_site, name="customer_site"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/record.pdf", views.visit_pdf, name="visit_pdf"),
    path("visits/<int:pk>/history/", views.visit_history, name="visit_history"),
    path("escalations/", views.escalation_list, name="escalation_list"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("reminders/<int:pk>/dismiss/", views.reminder_dismiss_view, name="reminder_dismiss"),
]
