"""crm's part of /api/v1/: the schema, its documentation page (Swagger UI from our static files) and crm's
resources. The project's URLconf mounts it with the other apps' `api` modules."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import customers
from .views import ApiView


class Schema(ApiView, SpectacularAPIView):
    """The OpenAPI 3 schema, to anyone signed in (it describes the API, none of the data)."""


class Docs(ApiView, SpectacularSwaggerSplitView):
    """Swagger UI, its script a separate file (the site's CSP allows no inline script)."""


urlpatterns = [
    path("schema/", Schema.as_view(), name="schema"),
    path("docs/", Docs.as_view(url_name="api:schema"), name="docs"),
    path("customers/", customers.CustomerList.as_view(), name="customer_list"),
    path("customers/<int:pk>/contacts/", customers.ContactList.as_view(), name="contact_list"),
    path("customers/<int:pk>/contacts/<int:contact_pk>/", customers.ContactDetail.as_view(), name="contact_detail"),
]
