from django.urls import path

from customers.exchange_rates import views

app_name = "exchange-rates"

urlpatterns = [
    path("", views.rate_list, name="list"),
    path("<int:pk>/delete/", views.rate_delete, name="delete"),
]
