from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("measures/", views.measures, name="measures"),
    path("new/<int:customer_pk>/", views.complaint_create, name="create"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/edit/", views.complaint_edit, name="edit"),
    path("<int:pk>/move/", views.complaint_move_view, name="move"),
    path("<int:pk>/record.pdf", views.complaint_pdf, name="pdf"),
]
