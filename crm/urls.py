from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm import views

auth_patterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("auth/", include(auth_patterns)),
    path("signup/", views.signup, name="signup"),
    path("profile/", views.profile, name="profile"),
    path("workspace/visibility/", views.record_visibility, name="record-visibility"),
    path("workspace/teams/", include("crm.teams.urls")),
    path("workspace/custom-fields/", include("customers.custom_fields.urls")),
    path("workspace/exchange-rates/", include("customers.exchange_rates.urls")),
    path("workspace/switch/", views.switch_workspace, name="switch-workspace"),
    path("search/", views.search, name="search"),
    path("healthz/", views.healthz, name="healthz"),
    path("customers/duplicates/", include("customers.duplicates.urls")),
    path("customers/", include("customers.urls")),
    path("deals/", include("customers.deals.urls")),
    path("analytics/data-quality/", include("analytics.quality.urls")),
    path("analytics/", include("analytics.urls")),
    path("lists/", include("crm.lists.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("tasks/", include("followups.urls")),
    path("notifications/", include("notifications.urls")),
    path("mail/", include("mail.urls")),
    path("sms/", include("sms.urls")),
    path("inbox/", include("inbox.urls")),
    path("imports/", include("imports.urls")),
    path("interactions/", include("interactions.urls")),
    path("tickets/", include("service_desk.urls")),
    path("support/", include("support.urls")),
    path("sla/", include("sla.urls")),
    path("feedback/", include("feedback.urls")),
    path("segments/", include("segments.urls")),
    path("audit/", include("audit.urls")),
    path("privacy/", include("privacy.urls")),
    path("workspace/admin/", include("workspace.urls")),
    path("security/", include("security.urls")),
    path("integrations/", include("integrations.urls")),
    path("operator/", include("operator_console.urls")),
    path("api/v1/", include(("crm.api_urls", "api"), namespace="api")),
]
