from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        from campaigns import segment_fields, timeline  # noqa: F401  (timeline: registers its sources)

        try:
            segment_fields.register()
        except ImportError:  # pragma: no cover - the segments registry is not there
            return
