from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/map/", views.import_map, name="map"),
    path("<int:pk>/start/", views.import_start, name="start"),
    path("<int:pk>/undo/", views.import_undo, name="undo"),
    path("<int:pk>/report.csv", views.import_report, name="report"),
]
