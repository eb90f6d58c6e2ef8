from django.urls import path

from customers.duplicates import views

app_name = "duplicates"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("runs/", views.run_start, name="run-start"),
    path("runs/<int:pk>/", views.run_progress, name="run-progress"),
    path("<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("merge/<int:pk>/", views.merge, name="merge"),
]
