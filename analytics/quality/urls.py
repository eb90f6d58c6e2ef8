from django.urls import path

from analytics.quality import views

app_name = "data-quality"

urlpatterns = [
    path("", views.page, name="page"),
    path("runs/", views.run_start, name="run-start"),
    path("runs/<int:pk>/", views.run_progress, name="run-progress"),
    path("runs/<int:pk>/issues/", views.run_issues, name="run-issues"),
]
