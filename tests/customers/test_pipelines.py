"""Admins configure pipelines and their stages; reps then use them on the board."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from customers.models import Pipeline, Stage
from tests.factories import DealFactory, StageFactory


def formset(rows: list[dict], *, initial: int = 0) -> dict[str, str]:
    data = {"stages-TOTAL_FORMS": str(len(rows)), "stages-INITIAL_FORMS": str(initial),
            "stages-MIN_NUM_FORMS": "3", "stages-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for index, row in enumerate(rows):
        data.update({f"stages-{index}-{key}": str(value) for key, value in row.items()})
    return data


PARTNER_STAGES = [
    {"name": "Signed up", "win_probability": 20, "kind": "open"},
    {"name": "Certified", "win_probability": 60, "kind": "open"},
    {"name": "Active", "win_probability": 100, "kind": "won"},
    {"name": "Dropped", "win_probability": 0, "kind": "lost"},
]


@pytest.mark.django_db
def test_an_admin_creates_a_second_pipeline_that_the_board_offers(alice_client, tenant_a):
    response = alice_client.post("/deals/pipelines/new/", {"name": "Partners", **formset(PARTNER_STAGES)}, follow=True)
    assert "Pipeline “Partners” saved." in response.content.decode()
    with tenant_context(tenant_a.id):
        partners = Pipeline.objects.get(name="Partners")
        stages = list(Stage.objects.filter(pipeline=partners).order_by("position").values_list("name", "position"))
    assert stages == [("Signed up", 0), ("Certified", 1), ("Active", 2), ("Dropped", 3)]
    board = alice_client.get("/deals/", {"pipeline": partners.pk}).content.decode()
    assert "Certified" in board and '<select class="form-select form-select-sm" name="pipeline"' in board


@pytest.mark.django_db
def test_a_pipeline_needs_one_won_and_one_lost_stage(alice_client, tenant_a):
    no_lost = [row for row in PARTNER_STAGES if row["kind"] != "lost"] + [{"name": "Later", "kind": "open",
                                                                          "win_probability": 5}]  # fmt: skip
    response = alice_client.post("/deals/pipelines/new/", {"name": "Partners", **formset(no_lost)})
    assert "exactly one won stage and one lost stage" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not Pipeline.objects.filter(name="Partners").exists()


@pytest.mark.django_db
def test_a_stage_with_deals_cannot_be_removed(alice_client, tenant_a):
    deal = DealFactory(tenant=tenant_a)
    pipeline = deal.pipeline
    for kind in ("open", "won", "lost"):  # a valid pipeline apart from the stage being removed
        StageFactory(tenant=tenant_a, pipeline=pipeline, kind=kind)
    with tenant_context(tenant_a.id):
        stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    rows = [{"id": s.pk, "name": s.name, "win_probability": s.win_probability, "kind": s.kind} for s in stages]
    for row in rows:
        if row["id"] == deal.stage_id:
            row["DELETE"] = "on"
    response = alice_client.post(
        f"/deals/pipelines/{pipeline.pk}/edit/", {"name": pipeline.name, **formset(rows, initial=len(rows))}
    )
    assert "cannot be removed; move its deals first" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert Stage.objects.filter(pk=deal.stage_id).exists()


@pytest.mark.django_db
def test_only_admins_configure_pipelines(bob_client, tenant_a):
    assert bob_client.get("/deals/pipelines/").status_code == 403
    assert bob_client.post("/deals/pipelines/new/", {"name": "X", **formset(PARTNER_STAGES)}).status_code == 403


@pytest.mark.django_db
def test_the_order_column_reorders_the_stages(alice_client, tenant_a):
    rows = [{**row, "ORDER": order} for row, order in zip(PARTNER_STAGES, [2, 1, 3, 4], strict=True)]
    alice_client.post("/deals/pipelines/new/", {"name": "Partners", **formset(rows)})
    with tenant_context(tenant_a.id):
        names = list(
            Stage.objects.filter(pipeline__name="Partners").order_by("position").values_list("name", flat=True)
        )
    assert names == ["Certified", "Signed up", "Active", "Dropped"]
