"""Included by the project's URLconf under customers/import/, in the customers' (crm) namespace: `crm:import_start`."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_start, name="import_start"),
    path("template.<str:file_format>", views.import_template, name="import_template"),
    path("deals/", views.deal_import_start, name="deal_import_start"),
    path("deals/template.<str:file_format>", views.deal_import_template, name="deal_import_template"),
    path("<int:pk>/", views.import_job, name="import_job"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("<int:pk>/resume/", views.import_resume, name="import_resume"),
    path("<int:pk>/discard/", views.import_discard, name="import_discard"),
    path("<int:pk>/errors.csv", views.import_errors, name="import_errors"),
    path("<int:pk>/file", views.import_file, name="import_file"),
]
