from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("lists/", views.static_list_index, name="static-lists"),
    path("lists/new/", views.static_list_create, name="static-list-create"),
    path("lists/<int:pk>/", views.static_list_detail, name="static-list-detail"),
    path("lists/<int:pk>/edit/", views.static_list_edit, name="static-list-edit"),
    path("lists/<int:pk>/delete/", views.static_list_delete, name="static-list-delete"),
    path("lists/<int:pk>/members/remove/", views.static_list_remove_member, name="static-list-remove-member"),
]
