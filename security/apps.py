from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from security import receivers

        user_logged_in.connect(receivers.on_login, dispatch_uid="security.on_login")
        user_logged_out.connect(receivers.on_logout, dispatch_uid="security.on_logout")
