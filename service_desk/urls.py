from django.urls import path

from service_desk import metrics, views

app_name = "service_desk"
urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_create, name="ticket_create"),
    path("unassigned-count/", views.unassigned_badge, name="unassigned_badge"),
    path("metrics/", metrics.metrics_page, name="metrics"),
    path("<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<int:pk>/update/", views.ticket_update, name="ticket_update"),
    path("<int:pk>/messages/", views.ticket_message_create, name="ticket_message_create"),
    path("<int:pk>/take/", views.ticket_take, name="ticket_take"),
    path("<int:pk>/presence/", views.ticket_presence, name="ticket_presence"),
    path("<int:pk>/merge/", views.ticket_merge, name="ticket_merge"),
    path("<int:pk>/canned/", views.canned_insert, name="canned_insert"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("canned/", views.canned_list, name="canned_list"),
    path("canned/new/", views.canned_create, name="canned_create"),
    path("canned/<int:pk>/", views.canned_edit, name="canned_edit"),
    path("canned/<int:pk>/delete/", views.canned_delete, name="canned_delete"),
    path("queues/", views.queue_list, name="queue_list"),
    path("queues/new/", views.queue_create, name="queue_create"),
    path("queues/<int:pk>/", views.queue_edit, name="queue_edit"),
    path("queues/<int:pk>/delete/", views.queue_delete, name="queue_delete"),
    path("queues/<int:pk>/members/", views.queue_member_add, name="queue_member_add"),
    path("queues/members/<int:pk>/toggle/", views.queue_member_toggle, name="queue_member_toggle"),
    path("queues/members/<int:pk>/remove/", views.queue_member_remove, name="queue_member_remove"),
]
