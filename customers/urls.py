from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/export/", views.contact_export, name="contact-export"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
    path("contacts/<int:pk>/timeline/", views.contact_timeline, name="contact-timeline"),
    path("contacts/<int:pk>/orders/new/", views.order_create, name="order-create"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order-edit"),
    path("orders/<int:pk>/delete/", views.order_delete, name="order-delete"),
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/new/", views.account_create, name="account-create"),
    path("accounts/options/", views.account_options, name="account-options"),
    path("accounts/export/", views.account_export, name="account-export"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account-edit"),
    path("accounts/<int:pk>/delete/", views.account_delete, name="account-delete"),
    path("accounts/<int:pk>/timeline/", views.account_timeline, name="account-timeline"),
]
