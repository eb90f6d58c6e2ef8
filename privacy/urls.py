from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("contacts/<int:pk>/export/", views.contact_export, name="contact-export"),
    path("contacts/<int:pk>/erase/", views.contact_erase, name="contact-erase"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("requests/<int:pk>/download/", views.request_download, name="request-download"),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:pk>/delete/", views.retention_delete, name="retention-delete"),
    path("retention/<int:pk>/run/", views.retention_run, name="retention-run"),
]
