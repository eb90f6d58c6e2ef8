from django.urls import path

from mail import views

app_name = "mail"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("compose/", views.compose, name="compose"),
    path("compose/template/", views.compose_template, name="compose-template"),
    path("settings/", views.settings_edit, name="settings"),
    path("settings/check/", views.settings_check, name="settings-check"),
    path("settings/status/", views.settings_status, name="settings-status"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_create, name="template-create"),
    path("templates/preview/", views.template_preview, name="template-preview"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template-edit"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template-delete"),
    path("contacts/options/", views.contact_options, name="contact-options"),
    path("<int:pk>/", views.email_detail, name="detail"),
    path("<int:pk>/retry/", views.email_retry, name="retry"),
]
