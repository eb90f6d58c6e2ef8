from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
]
