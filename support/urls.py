from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("satisfaction/", views.satisfaction, name="satisfaction"),
    path("t/<str:token>/", views.portal, name="portal"),
    # The signed token, not the session, names the workspace and ticket here; the file id is checked against
    # that ticket's public messages (so this is not one of the session-scoped object URLs).
    path("t/<str:token>/files/<str:number>/", views.portal_file, name="portal-file"),
    path("survey/<str:token>/", views.survey, name="survey"),
    path("nps/", views.nps_list, name="nps-list"),
    path("nps/<int:pk>/", views.nps_detail, name="nps-detail"),
    path("nps/answer/<str:token>/", views.nps_answer_page, name="nps-answer"),
    path("<slug:slug>/new/", views.web_form, name="web-form"),
    path("<slug:slug>/sent/", views.web_form_sent, name="web-form-sent"),
]
