from django.urls import path

from feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.report, name="report"),
    path("areas/", views.area_list, name="areas"),
    path("areas/<int:pk>/", views.area_edit, name="area_edit"),
    path("areas/<int:pk>/delete/", views.area_delete, name="area_delete"),
    path("tickets/<int:pk>/", views.ticket_feedback_add, name="ticket_add"),
    path("interactions/<int:pk>/", views.interaction_feedback_add, name="interaction_add"),
    path("items/<int:pk>/delete/", views.item_delete, name="item_delete"),
]
