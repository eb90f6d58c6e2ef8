from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("api-keys/", views.api_key_list, name="api-keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke_view, name="api-key-revoke"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_create, name="webhook-create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook-edit"),
    path("webhooks/<int:pk>/ping/", views.webhook_ping_view, name="webhook-ping"),
    path("webhooks/<int:pk>/rotate-secret/", views.webhook_rotate_view, name="webhook-rotate"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete_view, name="webhook-delete"),
    path("webhook-deliveries/<int:pk>/redeliver/", views.webhook_redeliver_view, name="webhook-redeliver"),
]
