from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self) -> None:
        from audit import registry

        registry.connect()  # the one deliberate use of signals: see audit/registry.py
