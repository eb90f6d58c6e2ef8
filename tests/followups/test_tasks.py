"""Tasks: the form (full page and htmx), complete/reopen/delete, my tasks, visibility, cards, API."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.roles import Role
from crm.tenancy.context import tenant_context, visibility_context
from crm.timeline import timeline_page
from followups import selectors
from followups.models import Reminder, ReminderState, Task, TaskStatus
from tests.conftest import client_for
from tests.factories import AccountFactory, ContactFactory, DealFactory, MembershipFactory, UserFactory
from tests.followups.factories import TaskFactory

pytestmark = pytest.mark.django_db


def rows(tenant, **filters):
    with tenant_context(tenant.id):
        return list(Task.objects.filter(**filters).order_by("pk"))


def reminder_of(task):
    with tenant_context(task.tenant_id):
        return Reminder.objects.filter(task=task).first()


def test_the_create_form_is_prefilled_from_the_query_contract(alice_client, tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a, first_name="Ada", last_name="Lovelace")
    deal = DealFactory(tenant=tenant_a, name="Engine order")
    params = {
        "contact": contact.pk,
        "deal": deal.pk,
        "title": "Send the quote",
        "due": "2030-05-04T09:30:00+00:00",
        "next": f"/customers/contacts/{contact.pk}/",
    }
    response = alice_client.get(reverse("followups:task-create") + "?" + urlencode(params))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Send the quote"' in page
    assert "Ada Lovelace" in page and "Engine order" in page
    assert 'value="2030-05-04T09:30"' in page  # alice has no zone; the workspace's is UTC
    assert f'name="next" value="/customers/contacts/{contact.pk}/"' in page
    assert "<html" in page  # a full page without htmx ...
    partial = alice_client.get(
        reverse("followups:task-create") + "?" + urlencode(params), headers={"HX-Request": "true"}
    )
    assert "<html" not in partial.content.decode() and 'data-testid="task-form"' in partial.content.decode()


def test_creating_a_task_links_it_and_plans_its_reminder(alice_client, tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a)
    response = alice_client.post(
        reverse("followups:task-create"),
        {
            "title": "  Call back   about pricing ",
            "due_at": "2031-01-15T10:00",
            "remind_before_minutes": "60",
            "assignee": alice.pk,
            "priority": "high",
            "contact": contact.pk,
            "next": f"/customers/contacts/{contact.pk}/",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/customers/contacts/{contact.pk}/"
    [task] = rows(tenant_a)
    assert (task.title, task.priority, task.contact_id, task.created_by_id) == (
        "Call back about pricing",
        "high",
        contact.pk,
        alice.pk,
    )
    assert task.due_at == datetime(2031, 1, 15, 10, 0, tzinfo=UTC)
    reminder = reminder_of(task)
    assert reminder.state == ReminderState.PENDING
    assert reminder.remind_at == datetime(2031, 1, 15, 9, 0, tzinfo=UTC)


def test_the_form_says_what_is_wrong_and_saves_nothing(alice_client, tenant_a, alice, tenant_b):
    foreign_contact = ContactFactory(tenant=tenant_b)
    response = alice_client.post(
        reverse("followups:task-create"),
        {
            "title": "",
            "due_at": "next tuesday",
            "assignee": alice.pk,
            "priority": "urgent",
            "contact": foreign_contact.pk,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in page  # title
    assert "Enter a valid date/time." in page  # due
    assert "Select a valid choice. urgent is not one of the available choices." in page
    assert "This contact does not exist or you cannot see it." in page
    assert rows(tenant_a) == []


def test_the_htmx_form_answers_with_the_form_and_its_errors_then_redirects(alice_client, tenant_a, alice):
    url = reverse("followups:task-create")
    bad = alice_client.post(
        url, {"title": "", "assignee": alice.pk, "priority": "normal"}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 200 and "This field is required." in bad.content.decode()
    assert "<html" not in bad.content.decode()
    good = alice_client.post(
        url,
        {"title": "Ok", "assignee": alice.pk, "priority": "normal", "next": "/deals/"},
        headers={"HX-Request": "true"},
    )
    assert good.status_code == 204 and good["HX-Redirect"] == "/deals/"
    assert [task.title for task in rows(tenant_a)] == ["Ok"]


def test_an_unsafe_next_is_ignored(alice_client, tenant_a, alice):
    response = alice_client.post(
        reverse("followups:task-create"),
        {"title": "x", "assignee": alice.pk, "priority": "normal", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("followups:my-tasks")


def test_a_task_cannot_be_given_to_someone_outside_the_workspace(alice_client, tenant_a, charlie):
    response = alice_client.post(
        reverse("followups:task-create"), {"title": "x", "assignee": charlie.pk, "priority": "normal"}
    )
    assert "Select a valid choice" in response.content.decode()
    assert rows(tenant_a) == []


def test_complete_and_reopen_by_htmx_and_delete_after_confirmation(alice_client, tenant_a, alice):
    task = TaskFactory(
        tenant=tenant_a, assignee=alice, due_at=timezone.now() + timedelta(days=1), remind_before_minutes=0
    )
    assert reminder_of(task) is None  # the factory skips services; plan one through an edit
    alice_client.post(
        reverse("followups:task-edit", args=[task.pk]),
        {
            "title": task.title,
            "assignee": alice.pk,
            "priority": "normal",
            "due_at": "2032-02-02T08:00",
            "remind_before_minutes": "0",
        },
    )
    assert reminder_of(task).remind_at == datetime(2032, 2, 2, 8, 0, tzinfo=UTC)

    done = alice_client.post(reverse("followups:task-complete", args=[task.pk]), headers={"HX-Request": "true"})
    assert done.status_code == 200 and 'data-testid="reopen"' in done.content.decode()
    [task] = rows(tenant_a)
    assert task.status == TaskStatus.DONE and task.completed_at is not None
    assert reminder_of(task) is None  # a done task reminds no one

    alice_client.post(reverse("followups:task-reopen", args=[task.pk]))
    [task] = rows(tenant_a)
    assert task.status == TaskStatus.OPEN and task.completed_at is None
    assert reminder_of(task).state == ReminderState.PENDING

    confirm = alice_client.get(reverse("followups:task-delete", args=[task.pk]))
    assert (
        "This cannot be undone." in confirm.content.decode()
        and "Its reminder is cancelled." in confirm.content.decode()
    )
    assert rows(tenant_a)  # a GET deletes nothing
    alice_client.post(reverse("followups:task-delete", args=[task.pk]))
    assert rows(tenant_a) == []


def test_editing_the_due_date_rearms_a_sent_reminder(alice_client, tenant_a, alice):
    alice_client.post(
        reverse("followups:task-create"),
        {
            "title": "Demo",
            "assignee": alice.pk,
            "priority": "normal",
            "due_at": "2033-03-03T10:00",
            "remind_before_minutes": "15",
        },
    )
    [task] = rows(tenant_a)
    with tenant_context(tenant_a.id):
        Reminder.objects.filter(task=task).update(state=ReminderState.SENT, notified_at=timezone.now())
    data = {
        "title": "Demo (notes)",
        "assignee": alice.pk,
        "priority": "normal",
        "due_at": "2033-03-03T10:00",
        "remind_before_minutes": "15",
    }
    alice_client.post(reverse("followups:task-edit", args=[task.pk]), data)
    assert reminder_of(task).state == ReminderState.SENT  # same time: not sent again
    alice_client.post(reverse("followups:task-edit", args=[task.pk]), {**data, "due_at": "2033-03-04T10:00"})
    reminder = reminder_of(task)
    assert (reminder.state, reminder.notified_at) == (ReminderState.PENDING, None)
    assert reminder.remind_at == datetime(2033, 3, 4, 9, 45, tzinfo=UTC)
    alice_client.post(reverse("followups:task-edit", args=[task.pk]), {**data, "remind_before_minutes": ""})
    assert reminder_of(task) is None


def test_a_read_only_role_gets_403_on_writes_but_may_tick_off_its_own_task(bob_client, tenant_a, bob, alice):
    theirs = TaskFactory(tenant=tenant_a, assignee=bob)
    others = TaskFactory(tenant=tenant_a, assignee=alice)
    assert bob_client.get(reverse("followups:task-create")).status_code == 403
    assert bob_client.post(reverse("followups:task-create"), {"title": "x"}).status_code == 403
    assert bob_client.post(reverse("followups:task-edit", args=[theirs.pk]), {"title": "x"}).status_code == 403
    assert bob_client.post(reverse("followups:task-delete", args=[theirs.pk])).status_code == 403
    assert bob_client.post(reverse("followups:task-complete", args=[others.pk])).status_code == 403
    page = bob_client.get(reverse("followups:task-edit", args=[theirs.pk]))
    assert page.status_code == 200 and 'data-testid="task-readonly"' in page.content.decode()
    assert bob_client.post(reverse("followups:task-complete", args=[theirs.pk])).status_code == 302
    assert rows(tenant_a, pk=theirs.pk)[0].status == TaskStatus.DONE


def test_another_tenants_task_is_a_404(charlie_client, tenant_a, alice):
    task = TaskFactory(tenant=tenant_a, assignee=alice, title="Secret plan")
    for name in ("task-edit", "task-complete", "task-reopen", "task-delete"):
        response = charlie_client.post(reverse(f"followups:{name}", args=[task.pk]))
        assert response.status_code == 404, name
    assert charlie_client.get(reverse("api:task-detail", args=[task.pk])).status_code == 404
    assert "Secret plan" not in charlie_client.get(reverse("followups:my-tasks") + "?assignee=all").content.decode()
    assert rows(tenant_a, pk=task.pk)[0].status == TaskStatus.OPEN


@pytest.fixture
def own_records_only(tenant_a):
    tenant_a.record_visibility = {Role.SALES: "own"}
    tenant_a.save()
    dave = UserFactory(email="dave@acme.example", full_name="Dave Sales")
    MembershipFactory(user=dave, tenant=tenant_a, role=Role.SALES)
    return dave


def test_a_task_is_seen_by_who_sees_its_record_and_always_by_its_assignee(tenant_a, alice, own_records_only):
    dave = own_records_only
    alices_contact = ContactFactory(tenant=tenant_a, owner=alice)
    daves_contact = ContactFactory(tenant=tenant_a, owner=dave)
    hidden = TaskFactory(tenant=tenant_a, assignee=alice, created_by=alice, contact=alices_contact, title="Hidden")
    given = TaskFactory(tenant=tenant_a, assignee=dave, created_by=alice, contact=alices_contact, title="Given")
    about_mine = TaskFactory(tenant=tenant_a, assignee=alice, created_by=alice, contact=daves_contact, title="Mine")
    dave_client = client_for(dave)
    assert dave_client.get(reverse("followups:task-edit", args=[hidden.pk])).status_code == 404
    assert dave_client.get(reverse("followups:task-edit", args=[given.pk])).status_code == 200
    assert dave_client.get(reverse("followups:task-edit", args=[about_mine.pk])).status_code == 200
    listed = {row["id"] for row in dave_client.get(reverse("api:task-list")).json()["results"]}
    assert listed == {given.pk, about_mine.pk}
    with tenant_context(tenant_a.id), visibility_context(dave.pk):
        assert {t.pk for t in selectors.tasks_visible()} == {given.pk, about_mine.pk}


def test_my_tasks_buckets_by_the_users_time_zone(tenant_a, alice):
    now = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)
    at = lambda *args: datetime(*args, tzinfo=UTC)  # noqa: E731
    overdue = TaskFactory(tenant=tenant_a, assignee=alice, due_at=at(2026, 3, 10, 22, 0))
    tonight_utc = TaskFactory(tenant=tenant_a, assignee=alice, due_at=at(2026, 3, 10, 23, 30))
    early_utc = TaskFactory(tenant=tenant_a, assignee=alice, due_at=at(2026, 3, 11, 3, 0))  # LA: 20:00 on the 10th
    afternoon_utc = TaskFactory(
        tenant=tenant_a, assignee=alice, due_at=at(2026, 3, 11, 14, 0)
    )  # Tokyo: 23:00 on the 11th
    someday = TaskFactory(tenant=tenant_a, assignee=alice, due_at=None)
    done = TaskFactory(tenant=tenant_a, assignee=alice, status=TaskStatus.DONE, completed_at=now - timedelta(days=1))
    TaskFactory(tenant=tenant_a, assignee=alice, status=TaskStatus.DONE, completed_at=now - timedelta(days=30))

    def buckets(zone_name):
        with tenant_context(tenant_a.id):
            sections = selectors.my_tasks(assignee=alice, zone=zoneinfo.ZoneInfo(zone_name), now=now)
        return {
            name: [task.pk for task in getattr(sections, name)]
            for name in ("overdue", "today", "upcoming", "no_due", "done_recently")
        }

    assert buckets("UTC") == {
        "overdue": [overdue.pk],
        "today": [tonight_utc.pk],
        "upcoming": [early_utc.pk, afternoon_utc.pk],
        "no_due": [someday.pk],
        "done_recently": [done.pk],
    }
    assert buckets("America/Los_Angeles")["today"] == [tonight_utc.pk, early_utc.pk]  # the 10th, 15:30 local
    assert buckets("America/Los_Angeles")["upcoming"] == [afternoon_utc.pk]
    assert buckets("Asia/Tokyo")["today"] == [tonight_utc.pk, early_utc.pk, afternoon_utc.pk]  # the 11th, 07:30
    assert buckets("Asia/Tokyo")["overdue"] == [overdue.pk]


def test_my_tasks_page_sections_empty_state_and_admin_filter(alice_client, tenant_a, alice, bob):
    empty = alice_client.get(reverse("followups:my-tasks")).content.decode()
    assert 'data-testid="tasks-empty"' in empty and "Nothing to do" in empty
    TaskFactory(tenant=tenant_a, assignee=alice, title="Late one", due_at=timezone.now() - timedelta(hours=2))
    TaskFactory(tenant=tenant_a, assignee=alice, title="Later one", due_at=timezone.now() + timedelta(days=3))
    TaskFactory(tenant=tenant_a, assignee=bob, title="Bob's one", due_at=timezone.now() + timedelta(days=3))
    page = alice_client.get(reverse("followups:my-tasks")).content.decode()
    overdue_section = page.split('data-testid="section-overdue"')[1].split('data-testid="section-')[0]
    assert "Late one" in overdue_section and "Later one" not in overdue_section
    assert "Later one" in page.split('data-testid="section-upcoming"')[1]
    assert "Bob&#x27;s one" not in page
    assert 'data-testid="overdue-badge">1<' in page  # the sidebar badge
    bobs = alice_client.get(reverse("followups:my-tasks") + f"?assignee={bob.pk}").content.decode()
    assert "Bob&#x27;s one" in bobs and "Late one" not in bobs
    everyone = alice_client.get(reverse("followups:my-tasks") + "?assignee=all").content.decode()
    assert "Bob&#x27;s one" in everyone and "Late one" in everyone


def test_non_admins_cannot_look_at_other_peoples_tasks(bob_client, tenant_a, alice, bob):
    TaskFactory(tenant=tenant_a, assignee=alice, title="Alice's one")
    page = bob_client.get(reverse("followups:my-tasks") + f"?assignee={alice.pk}").content.decode()
    assert "Alice&#x27;s one" not in page and 'data-testid="assignee-filter"' not in page


def test_my_tasks_reads_a_fixed_number_of_queries(alice_client, tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a)
    for n in range(3):
        TaskFactory(tenant=tenant_a, assignee=alice, contact=contact, due_at=timezone.now() + timedelta(days=n))
    alice_client.get(reverse("followups:my-tasks"))  # the first request of a session reads more (session, caches)
    with CaptureQueriesContext(connection) as few:
        alice_client.get(reverse("followups:my-tasks"))
    for n in range(20):
        TaskFactory(
            tenant=tenant_a,
            assignee=alice,
            contact=ContactFactory(tenant=tenant_a),
            due_at=timezone.now() + timedelta(days=n),
        )
    with CaptureQueriesContext(connection) as many:
        alice_client.get(reverse("followups:my-tasks"))
    assert len(many) == len(few)


def test_the_contact_and_deal_pages_show_open_tasks_with_an_add_button(alice_client, tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a)
    deal = DealFactory(tenant=tenant_a, contact=contact)
    TaskFactory(tenant=tenant_a, assignee=alice, contact=contact, title="Open on contact")
    TaskFactory(
        tenant=tenant_a,
        assignee=alice,
        contact=contact,
        title="Closed one",
        status=TaskStatus.DONE,
        completed_at=timezone.now(),
    )
    TaskFactory(tenant=tenant_a, assignee=alice, deal=deal, title="Open on deal")
    contact_page = alice_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()
    card = contact_page.split('data-testid="tasks-card"')[1]
    assert "Open on contact" in card and "Closed one" not in card.split("</ul>")[0]
    assert f"/tasks/new/?contact={contact.pk}&amp;next=%2Fcustomers%2Fcontacts%2F{contact.pk}%2F" in card
    deal_page = alice_client.get(reverse("deals:deal-detail", args=[deal.pk])).content.decode()
    assert "Open on deal" in deal_page.split('data-testid="tasks-card"')[1]
    assert f"deal={deal.pk}&amp;contact={contact.pk}" in deal_page


def test_the_account_page_shows_the_accounts_open_tasks_with_an_add_button(alice_client, tenant_a, alice):
    account = AccountFactory(tenant=tenant_a)
    TaskFactory(tenant=tenant_a, assignee=alice, account=account, title="Renewal call")
    page = alice_client.get(reverse("customers:account-detail", args=[account.pk])).content.decode()
    card = page.split('data-testid="tasks-card"')[1]
    assert "Renewal call" in card
    assert f"/tasks/new/?account={account.pk}&amp;next=%2Fcustomers%2Faccounts%2F{account.pk}%2F" in card


def test_tasks_show_on_the_timeline_at_creation_then_at_completion(alice_client, tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a)
    created = timezone.now() - timedelta(days=10)
    task = TaskFactory(tenant=tenant_a, assignee=alice, contact=contact, title="Ring them", created_at=created)
    with tenant_context(tenant_a.id):
        [entry] = [e for e in timeline_page(contact=contact).entries if e.position.source == "task"]
    assert entry.position.at == created and entry.title == "Task: Ring them"
    alice_client.post(reverse("followups:task-complete", args=[task.pk]))
    with tenant_context(tenant_a.id):
        [entry] = [e for e in timeline_page(contact=contact).entries if e.position.source == "task"]
    assert entry.title == "Task done: Ring them" and entry.position.at > created + timedelta(days=9)


def test_the_api_lists_creates_and_completes_tasks(alice_client, bob_client, tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a)
    created = alice_client.post(
        reverse("api:task-list"),
        {
            "title": "From the API",
            "due_at": "2034-01-01T12:00:00Z",
            "contact": contact.pk,
            "remind_before_minutes": 1440,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["title"], body["assignee"], body["contact"], body["status"]) == (
        "From the API",
        alice.pk,
        contact.pk,
        "open",
    )
    task_id = body["id"]
    assert reminder_of(rows(tenant_a, pk=task_id)[0]).remind_at == datetime(2033, 12, 31, 12, 0, tzinfo=UTC)
    listed = alice_client.get(reverse("api:task-list")).json()
    assert [row["id"] for row in listed["results"]] == [task_id]
    done = alice_client.patch(
        reverse("api:task-detail", args=[task_id]), {"status": "done"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["completed_at"]
    bad = alice_client.post(
        reverse("api:task-list"), {"title": "", "contact": 99999999}, content_type="application/json"
    )
    assert bad.status_code == 400 and set(bad.json()) >= {"contact"}
    assert bob_client.post(reverse("api:task-list"), {"title": "x"}, content_type="application/json").status_code == 403
    assert bob_client.get(reverse("api:task-list")).status_code == 200
