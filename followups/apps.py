from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Tasks and reminders")

    def ready(self) -> None:
        from followups import timeline  # noqa: F401  (registers tasks on timelines)
