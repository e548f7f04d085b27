from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from claims.imports import urls as import_urls
from claims.views import editing

from . import views

customer_patterns = (
    [
        path("", views.customer_list, name="customer_list"),
        # Registration (with the duplicate check and the first claim) lives in claims.
        path("new/", RedirectView.as_view(pattern_name="claims:register"), name="customer_create"),
        path("export.<str:file_format>", views.customer_export, name="customer_export"),
        path("import/", include(import_urls.urlpatterns)),
        path("suggest/", views.customer_suggest, name="customer_suggest"),
        path("<int:pk>/", views.customer_detail, name="customer_detail"),
        # So does editing: a changed name, credit code or phone runs the same duplicate check.
        path("<int:pk>/edit/", editing.customer_update, name="customer_update"),
        path("<int:pk>/grade/", views.customer_set_grade, name="customer_set_grade"),
        path("<int:pk>/dossier.pdf", views.customer_dossier, name="customer_dossier"),
        path("<int:pk>/contacts/new/", views.contact_form, name="contact_create"),
        path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_form, name="contact_update"),
        path("<int:pk>/contacts/<int:contact_pk>/delete/", views.contact_delete, name="contact_delete"),
    ],
    "crm",
)

# The REST API (crm/api): each app's resources from its own `api` module, by name as the pages' URLs are.
api_patterns = [
    path("", include("crm.api.urls")),
    path("", include("claims.api")),
    path("", include("visits.api")),
    path("", include("crm.complaints.api")),
    path("", include("crm.deals.api")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("api/v1/", include((api_patterns, "api"))),
    path("healthz", views.healthz, name="healthz"),
    path("notifications/", views.notifications, name="notifications"),
    path("search/", views.site_search, name="search"),
    path("i18n/setlang/", views.switch_language, name="set_language"),
    path("customers/", include(customer_patterns)),
    path("board/", include("claims.board.urls")),
    path("complaints/", include("crm.complaints.urls")),
    path("deals/", include("crm.deals.urls")),
    path("attachments/", include("crm.evidence.urls")),
    path("webhooks/", include("crm.webhooks.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("visits.urls")),
    path("", include("claims.urls")),
    path("admin/", admin.site.urls),
]
