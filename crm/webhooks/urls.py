from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/disable/", views.endpoint_action, {"action": "disable"}, name="disable"),
    path("<int:pk>/enable/", views.endpoint_action, {"action": "enable"}, name="enable"),
    path("<int:pk>/rotate-secret/", views.endpoint_action, {"action": "rotate"}, name="rotate"),
]
