from django.urls import path

from crm.lists import views

app_name = "lists"

urlpatterns = [
    path("<slug:list_key>/views/new/", views.saved_view_create, name="saved-view-create"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="saved-view-delete"),
    path("<slug:list_key>/bulk/", views.bulk_action, name="bulk"),
    path("<slug:list_key>/count/", views.matching_count, name="count"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
]
