from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("<int:pk>/", views.attachment_file, name="file"),
    path("<int:pk>/thumbnail/", views.attachment_thumbnail, name="thumbnail"),
]
