from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self) -> None:
        from customers import (
            lists,  # noqa: F401  (registers the lists' saved views, sorts and bulk actions)
            timeline,  # noqa: F401  (registers orders and deal stages on timelines)
        )
        from customers.duplicates import tasks as duplicate_tasks  # noqa: F401  (registers the task)
        from customers.duplicates import timeline as duplicate_timeline  # noqa: F401  (merges on timelines)
