from django.urls import path

from . import views
from .models import Outcome

app_name = "deals"

urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("export.<str:file_format>", views.deal_export, name="export"),
    path("new/<int:customer_pk>/", views.deal_create, name="create"),
    path("<int:pk>/", views.deal_detail, name="detail"),
    path("<int:pk>/edit/", views.deal_edit, name="edit"),
    path("<int:pk>/move/", views.deal_move, name="move"),
    path("<int:pk>/win/", views.deal_close, {"outcome": Outcome.WON}, name="win"),
    path("<int:pk>/lose/", views.deal_close, {"outcome": Outcome.LOST}, name="lose"),
    path("<int:pk>/abandon/", views.deal_close, {"outcome": Outcome.ABANDONED}, name="abandon"),
    path("<int:pk>/lines/", views.part_add, {"kind": "line"}, name="line_add"),
    path("<int:pk>/people/", views.part_add, {"kind": "person"}, name="person_add"),
    path("<int:pk>/competitors/", views.part_add, {"kind": "competitor"}, name="competitor_add"),
    path("<int:pk>/lines/<int:part_pk>/delete/", views.part_delete, {"kind": "line"}, name="line_delete"),
    path("<int:pk>/people/<int:part_pk>/delete/", views.part_delete, {"kind": "person"}, name="person_delete"),
    path(
        "<int:pk>/competitors/<int:part_pk>/delete/",
        views.part_delete,
        {"kind": "competitor"},
        name="competitor_delete",
    ),
]
