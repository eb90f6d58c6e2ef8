from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self) -> None:
        from customers import timeline  # noqa: F401  (registers orders and deal stages on timelines)
