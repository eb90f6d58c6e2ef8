from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "interactions"

    def ready(self) -> None:
        from interactions import timeline  # noqa: F401  (registers interactions on timelines)
