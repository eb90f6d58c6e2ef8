"""A URLconf for testing capability_required on a write action."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from crm.access import capability_required
from crm.roles import Capability


@capability_required(Capability.CUSTOMERS_EDIT)
def edit_something(request: HttpRequest) -> HttpResponse:
    return HttpResponse("edited")


urlpatterns = [
    path("edit/", edit_something, name="edit-something"),
    path("", include("crm.urls")),
]
