from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from customers.api import AccountViewSet, ContactViewSet
from customers.custom_fields.api import CustomFieldViewSet
from customers.deals.api import DealViewSet
from customers.orders_api import OrderViewSet
from followups.api import TaskViewSet
from imports.api import ImportViewSet
from interactions.api import InteractionViewSet
from segments.api import SegmentViewSet
from service_desk.api import TicketViewSet
from shipments.api import ShipmentViewSet

router = DefaultRouter(use_regex_path=False)
router.register("contacts", ContactViewSet, basename="contact")
router.register("accounts", AccountViewSet, basename="account")
router.register("deals", DealViewSet, basename="deal")
router.register("orders", OrderViewSet, basename="order")
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("tasks", TaskViewSet, basename="task")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("imports", ImportViewSet, basename="import")
router.register("segments", SegmentViewSet, basename="segment")
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
