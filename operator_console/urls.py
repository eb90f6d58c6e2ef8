from django.urls import path

from operator_console import views

app_name = "operator_console"

urlpatterns = [
    path("", views.tenant_list, name="tenants"),
    path("new/", views.tenant_new, name="tenant-new"),
    path("<int:pk>/", views.tenant_detail, name="tenant"),
    path("<int:pk>/suspend/", views.tenant_suspend, name="tenant-suspend"),
    path("<int:pk>/reactivate/", views.tenant_reactivate, name="tenant-reactivate"),
    path("<int:pk>/delete/", views.tenant_delete, name="tenant-delete"),
    path("<int:pk>/impersonate/", views.impersonate, name="impersonate"),
    path("deletions/<int:pk>/", views.deletion_detail, name="deletion"),
    path("deletions/<int:pk>/retry/", views.deletion_retry, name="deletion-retry"),
    path("impersonation/end/", views.impersonation_end, name="impersonation-end"),
]
