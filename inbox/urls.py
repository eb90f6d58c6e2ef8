"""Incoming email: the dropbox, the IMAP poller and the signed HTTP endpoint."""

from django.urls import path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.message_list, name="list"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/poll/", views.poll_now, name="poll-now"),
    path("settings/dropbox/regenerate/", views.dropbox_regenerate, name="dropbox-regenerate"),
    path("settings/secret/regenerate/", views.secret_regenerate, name="secret-regenerate"),
    path("inbound/<str:token>/", views.inbound_http, name="inbound-http"),
    path("<int:pk>/", views.message_detail, name="detail"),
]
