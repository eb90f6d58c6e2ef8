from django.urls import path

from sms import views

app_name = "sms"

urlpatterns = [
    path("", views.sms_list, name="list"),
    path("<int:pk>/", views.sms_detail, name="detail"),
    path("compose/", views.sms_compose, name="compose"),
    path("compose/count/", views.sms_counter, name="counter"),
    path("settings/", views.sms_settings, name="settings"),
    path("settings/test/", views.sms_settings_test, name="settings-test"),
    path("settings/secret/", views.sms_settings_secret, name="settings-secret"),
    path("callbacks/<str:token>/status/", views.callback_status, name="callback-status"),
    path("callbacks/<str:token>/inbound/", views.callback_inbound, name="callback-inbound"),
]
