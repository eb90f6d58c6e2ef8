from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "shipments"

    def ready(self) -> None:
        from shipments import timeline  # noqa: F401  (registers the timeline source)
