from django.apps import AppConfig


class ServiceDeskConfig(AppConfig):
    name = "service_desk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        from service_desk import (
            lists,  # noqa: F401  (registers the ticket list's sorts, saved views and bulk actions)
            timeline,  # noqa: F401  (registers tickets on contact timelines)
        )
