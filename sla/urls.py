from django.urls import path

from sla import views

app_name = "sla"
urlpatterns = [
    path("business-hours/", views.business_hours, name="business_hours"),
    path("business-hours/holidays/", views.holiday_add, name="holiday_add"),
    path("business-hours/holidays/<int:pk>/delete/", views.holiday_delete, name="holiday_delete"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/defaults/", views.policy_defaults, name="policy_defaults"),
    path("policies/<int:pk>/", views.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/delete/", views.policy_delete, name="policy_delete"),
    path("escalations/new/", views.escalation_create, name="escalation_create"),
    path("escalations/<int:pk>/", views.escalation_edit, name="escalation_edit"),
    path("escalations/<int:pk>/delete/", views.escalation_delete, name="escalation_delete"),
    path("routing/", views.routing, name="routing"),
    path("routing/new/", views.routing_rule_create, name="routing_rule_create"),
    path("routing/<int:pk>/", views.routing_rule_edit, name="routing_rule_edit"),
    path("routing/<int:pk>/delete/", views.routing_rule_remove, name="routing_rule_delete"),
    path("routing/<int:pk>/move/", views.routing_rule_move, name="routing_rule_move"),
    path("routing/queues/<int:pk>/", views.queue_mode, name="queue_mode"),
]
