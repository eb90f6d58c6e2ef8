from django.urls import path

from campaigns import campaign_views, public_views, views

app_name = "campaigns"

urlpatterns = [
    path("", campaign_views.campaign_index, name="index"),
    path("new/", campaign_views.campaign_create, name="create"),
    path("audience-count/", campaign_views.campaign_audience_count, name="audience-count"),
    path("<int:pk>/", campaign_views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", campaign_views.campaign_edit, name="edit"),
    path("<int:pk>/review/", campaign_views.campaign_review, name="review"),
    path("<int:pk>/test/", campaign_views.campaign_test_send, name="test-send"),
    path("<int:pk>/send/", campaign_views.campaign_send, name="send"),
    path("<int:pk>/schedule/", campaign_views.campaign_schedule, name="schedule"),
    path("<int:pk>/pause/", campaign_views.campaign_pause, name="pause"),
    path("<int:pk>/resume/", campaign_views.campaign_resume, name="resume"),
    path("<int:pk>/cancel/", campaign_views.campaign_cancel, name="cancel"),
    path("<int:pk>/delete/", campaign_views.campaign_delete, name="delete"),
    path("suppressions/", campaign_views.suppression_index, name="suppressions"),
    path("suppressions/<int:pk>/delete/", campaign_views.suppression_delete, name="suppression-delete"),
    path("settings/", campaign_views.campaign_settings, name="settings"),
    # Reached by recipients, without signing in (signed tokens).
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("p/<str:token>/", public_views.preferences, name="preferences"),
    path("t/o/<str:token>/", public_views.track_open, name="track-open"),
    path("t/c/<str:token>/", public_views.track_click, name="track-click"),
    # Static lists.
    path("lists/", views.static_list_index, name="static-lists"),
    path("lists/new/", views.static_list_create, name="static-list-create"),
    path("lists/<int:pk>/", views.static_list_detail, name="static-list-detail"),
    path("lists/<int:pk>/edit/", views.static_list_edit, name="static-list-edit"),
    path("lists/<int:pk>/delete/", views.static_list_delete, name="static-list-delete"),
    path("lists/<int:pk>/members/remove/", views.static_list_remove_member, name="static-list-remove-member"),
]
