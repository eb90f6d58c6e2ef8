from crm.tenancy.context import tenant_context
from customers.models import Contact
from tests.factories import ContactFactory


def test_contact_is_created_in_its_tenant(tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id):
        assert Contact.objects.count() == 1
    with tenant_context(tenant_b.id):
        assert Contact.objects.count() == 0
