from django.urls import path

from . import views

app_name = "visits"

urlpatterns = [
    path("day/", views.day, name="day"),
    path("customers/<int:pk>/log/", views.visit_create, name="visit_create"),
    path("customers/<int:pk>/pause/", views.snooze, name="snooze"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("reminders/<int:pk>/dismiss/", views.reminder_dismiss_view, name="reminder_dismiss"),
]
