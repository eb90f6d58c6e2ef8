from django.urls import path

from segments import views

app_name = "segments"

urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_create, name="create"),
    path("new/preview/", views.segment_new_preview, name="new-preview"),
    path("<int:pk>/", views.segment_detail, name="detail"),
    path("<int:pk>/size/", views.segment_size, name="size"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/preview/", views.segment_preview, name="preview"),
    path("<int:pk>/duplicate/", views.segment_duplicate, name="duplicate"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
    path("<int:pk>/static-list/", views.segment_freeze, name="freeze"),
]
