from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("export.csv", views.audit_export, name="export"),
    path("settings/", views.audit_settings, name="settings"),
    path("history/<str:object_type>/<str:record>/", views.object_history, name="history"),
]
