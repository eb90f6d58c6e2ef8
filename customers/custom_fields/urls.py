from django.urls import path

from customers.custom_fields import views

app_name = "custom-fields"

urlpatterns = [
    path("", views.field_list, name="list"),
    path("new/", views.field_create, name="create"),
    path("<int:pk>/edit/", views.field_edit, name="edit"),
    path("<int:pk>/archive/", views.field_archive, name="archive"),
    path("<int:pk>/restore/", views.field_restore, name="restore"),
]
