"""Tasks and reminders."""

from django.urls import path

from followups import views

app_name = "followups"

urlpatterns = [
    path("", views.my_tasks, name="my-tasks"),
    path("new/", views.task_create, name="task-create"),
    path("<int:pk>/edit/", views.task_edit, name="task-edit"),
    path("<int:pk>/complete/", views.task_complete, name="task-complete"),
    path("<int:pk>/reopen/", views.task_reopen, name="task-reopen"),
    path("<int:pk>/delete/", views.task_delete, name="task-delete"),
    path("overdue-badge/", views.overdue_badge, name="overdue-badge"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]
