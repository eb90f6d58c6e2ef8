from django.urls import path

from workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.admin_index, name="index"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/logo/", views.logo_upload, name="logo-upload"),
    path("settings/logo/remove/", views.logo_remove, name="logo-remove"),
    path("logo/", views.logo, name="logo"),
    path("brand.css", views.brand_css, name="brand-css"),
    path("users/", views.users, name="users"),
    path("users/invite/", views.invite, name="invite"),
    path("users/<int:pk>/", views.member_detail, name="member"),
    path("users/<int:pk>/role/", views.member_role, name="member-role"),
    path("users/<int:pk>/deactivate/", views.member_deactivate, name="member-deactivate"),
    path("users/<int:pk>/reactivate/", views.member_reactivate, name="member-reactivate"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation-resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("join/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("permissions/", views.permissions, name="permissions"),
]
