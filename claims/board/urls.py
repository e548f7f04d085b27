from django.urls import path

from . import views

app_name = "board"

urlpatterns = [
    path("", views.board, name="board"),
    path("forecast/", views.forecast, name="forecast"),
    path("targets/", views.targets, name="targets"),
    path("digest.pdf", views.digest_pdf, name="digest_pdf"),
    path("customers/<int:pk>/transfer/", views.reassign, name="reassign"),
    path("customers/<int:pk>/grade/", views.set_grade, name="set_grade"),
]
