from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        from analytics.quality import tasks as quality_tasks  # noqa: F401  (registers the cleaning tasks)
