from django.urls import path

from crm.teams import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("new/", views.team_create, name="create"),
    path("<int:pk>/edit/", views.team_edit, name="edit"),
    path("<int:pk>/delete/", views.team_delete, name="delete"),
]
