from django.urls import path

from security import views

app_name = "security"

urlpatterns = [
    path("", views.security_home, name="home"),
    path("two-factor/", views.two_factor, name="two-factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("two-factor/backup-codes/", views.backup_codes, name="backup-codes"),
    path("two-factor/disable/", views.two_factor_disable, name="two-factor-disable"),
    path("sessions/end-others/", views.sessions_end_others, name="sessions-end-others"),
    # A session's public id, never its key (the key is the credential) nor a guessable integer.
    path("sessions/<uuid:ref>/end/", views.session_end, name="session-end"),
    path("policy/", views.policy_update, name="policy"),
    path("lockouts/unlock/", views.member_unlock, name="unlock"),
]
