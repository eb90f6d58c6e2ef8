from django.urls import path

from customers.deals import list_views, views

app_name = "deals"

urlpatterns = [
    path("", views.board, name="board"),
    path("list/", list_views.deal_list, name="list"),
    path("list/export/", list_views.deal_export, name="export"),
    path("new/", views.deal_create, name="deal-create"),
    path("forecast/", views.forecast, name="forecast"),
    path("pipelines/", views.pipeline_list, name="pipeline-list"),
    path("pipelines/new/", views.pipeline_create, name="pipeline-create"),
    path("pipelines/<int:pk>/edit/", views.pipeline_edit, name="pipeline-edit"),
    path("contacts/options/", views.contact_options, name="contact-options"),
    path("<int:pk>/", views.deal_detail, name="deal-detail"),
    path("<int:pk>/edit/", views.deal_edit, name="deal-edit"),
    path("<int:pk>/move/", views.deal_move, name="deal-move"),
    path("<int:pk>/delete/", views.deal_delete, name="deal-delete"),
]
