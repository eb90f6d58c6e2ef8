from __future__ import annotations

from typing import Any

import factory

from shipments.models import Shipment
from tests.factories import OrderFactory, TenantOwnedFactory


class ShipmentFactory(TenantOwnedFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory, tenant=factory.SelfAttribute("..tenant"))
    contact = factory.LazyAttribute(lambda shipment: shipment.order.contact)
    carrier = "DHL"
    tracking_number = factory.Sequence(lambda n: f"JD{n:010d}")
    status = "in_transit"
    external_id = factory.Sequence(lambda n: f"SH-{n}")
    source_system = "wms"


SHIPMENT_FACTORIES: dict[Any, Any] = {Shipment: ShipmentFactory}
