"""A URLconf for testing capability_required on a write action and the error page of a bug."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from crm.access import capability_required
from crm.roles import Capability


@capability_required(Capability.CUSTOMERS_EDIT)
def edit_something(request: HttpRequest) -> HttpResponse:
    return HttpResponse("edited")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [
    path("boom/", broken, name="boom"),
    path("edit/", edit_something, name="edit-something"),
    path("", include("crm.urls")),
]
