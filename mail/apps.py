from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("Email in and out")

    def ready(self) -> None:
        from mail import timeline  # noqa: F401  (registers failed emails on timelines)
