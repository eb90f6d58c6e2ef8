"""The fields every tenant has: the contact and its account, custom fields, orders, interactions,
tickets, analytics scores, static lists and other segments. Imported once by segments.fields."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from segments.custom_fields import custom_fields
from segments.fields import (
    Builder,
    FieldType,
    Op,
    RuleContext,
    RuleError,
    column,
    date_column,
    datetime_column,
    last_event_date,
    register_field,
    register_field_source,
)

ME = "me"
NOBODY = "none"

CONTACT, ACCOUNT, ORDERS, ACTIVITY, TICKETS, SCORES, MEMBERSHIP = (
    _("Contact"),
    _("Account"),
    _("Orders"),
    _("Interactions"),
    _("Tickets"),
    _("Scores"),
    _("Lists and segments"),
)


# --- Contact ----------------------------------------------------------------------------------------


def _has_value(path: str) -> Builder:
    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        present = ~Q(**{path: ""}) & Q(**{f"{path}__isnull": False})
        return present if op == Op.IS_TRUE else ~present

    return build


def _email_domain(op: str, value: Any, ctx: RuleContext) -> Q:
    domain = str(value).lstrip("@").lower()
    matches = Q(email__iendswith=f"@{domain}")
    return matches if op == Op.EQ else ~matches


def _tags(op: str, value: Any, ctx: RuleContext) -> Q:
    tags = [str(tag).strip().lower() for tag in value or [] if str(tag).strip()]
    match op:
        case Op.HAS_ANY:
            return Q(tags__overlap=tags)
        case Op.HAS_ALL:
            return Q(tags__contains=tags)
        case Op.HAS_NONE:
            return ~Q(tags__overlap=tags)
        case Op.IS_EMPTY:
            return Q(tags=[])
        case _:
            return ~Q(tags=[])


def _owner_choices() -> list[tuple[str, str]]:
    from crm.models import Tenant
    from crm.tenancy.context import require_tenant_id
    from customers.forms import tenant_members

    tenant = Tenant.objects.get(pk=require_tenant_id())
    members = [(str(member.pk), str(member)) for member in tenant_members(tenant)]
    return [(ME, gettext_now("Me (whoever uses the segment)")), (NOBODY, gettext_now("Nobody")), *members]


def _owner(op: str, value: Any, ctx: RuleContext) -> Q:
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return Q(owner__isnull=op == Op.IS_EMPTY)
    ids: list[int] = []
    condition = Q(pk__in=[])
    for item in value:
        if item == ME:
            if ctx.user is not None:
                ids.append(ctx.user.pk)
        elif item == NOBODY:
            condition |= Q(owner__isnull=True)
        else:
            ids.append(int(item))
    if ids:
        condition |= Q(owner_id__in=ids)
    return condition if op == Op.IN else ~condition


def _team_choices() -> list[tuple[str, str]]:
    from crm.teams.models import Team

    return [(str(pk), name) for pk, name in Team.objects.order_by("name").values_list("pk", "name")]


def _team(op: str, value: Any, ctx: RuleContext) -> Q:
    from crm.teams.models import TeamMember

    in_team = Q(Exists(TeamMember.objects.filter(team_id__in=[int(v) for v in value], user_id=OuterRef("owner_id"))))
    return in_team if op == Op.IN else ~in_team


def _choices_of(text_choices: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(value, str(label)) for value, label in text_choices.choices]


MONTHS = [
    ("1", _("January")), ("2", _("February")), ("3", _("March")), ("4", _("April")), ("5", _("May")),
    ("6", _("June")), ("7", _("July")), ("8", _("August")), ("9", _("September")), ("10", _("October")),
    ("11", _("November")), ("12", _("December")),
]  # fmt: skip


def _birthday_month(op: str, value: Any, ctx: RuleContext) -> Q:
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return Q(birthday__isnull=op == Op.IS_EMPTY)
    months = Q(birthday__month__in=[int(v) for v in value])
    return months if op == Op.IN else ~months


def _country(path: str) -> Builder:
    base = column(path, empty_value="")

    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        if op in (Op.IN, Op.NOT_IN):
            value = [str(v).strip().upper() for v in value]
        return base(op, value, ctx)

    return build


def _register_contact_fields() -> None:
    from customers.models import LifecycleStage, PreferredChannel

    text = FieldType.TEXT
    register_field(
        key="first_name", label=_("First name"), group=CONTACT, type=text, build=column("first_name", empty_value="")
    )
    register_field(
        key="last_name", label=_("Last name"), group=CONTACT, type=text, build=column("last_name", empty_value="")
    )
    register_field(key="email", label=_("Email"), group=CONTACT, type=text, build=column("email", empty_value=""))
    register_field(
        key="has_email",
        label=_("Has an email address"),
        group=CONTACT,
        type=FieldType.BOOLEAN,
        build=_has_value("email"),
    )
    register_field(
        key="email_domain",
        label=_("Email domain"),
        group=CONTACT,
        type=text,
        build=_email_domain,
        operators=(Op.EQ, Op.NEQ),
        help_text=_("e.g. example.com"),
    )
    register_field(
        key="has_phone", label=_("Has a phone number"), group=CONTACT, type=FieldType.BOOLEAN, build=_has_value("phone")
    )
    register_field(key="title", label=_("Job title"), group=CONTACT, type=text, build=column("title", empty_value=""))
    register_field(
        key="lifecycle_stage",
        label=_("Lifecycle stage"),
        group=CONTACT,
        type=FieldType.CHOICE,
        build=column("lifecycle_stage"),
        choices=_choices_of(LifecycleStage),
        operators=(Op.IN, Op.NOT_IN),
    )
    register_field(
        key="source", label=_("Source channel"), group=CONTACT, type=text, build=column("source", empty_value="")
    )
    register_field(
        key="tags",
        label=_("Tags"),
        group=CONTACT,
        type=FieldType.MULTI_CHOICE,
        build=_tags,
        validate_choices=False,
        help_text=_("Separate tags with commas"),
    )
    register_field(
        key="owner", label=_("Owner"), group=CONTACT, type=FieldType.CHOICE, build=_owner, choices=_owner_choices
    )
    register_field(
        key="team",
        label=_("Owner's team"),
        group=CONTACT,
        type=FieldType.CHOICE,
        build=_team,
        choices=_team_choices,
        operators=(Op.IN, Op.NOT_IN),
    )
    register_field(
        key="email_consent",
        label=_("Consents to email"),
        group=CONTACT,
        type=FieldType.BOOLEAN,
        build=column("email_consent"),
    )
    register_field(
        key="sms_consent",
        label=_("Consents to SMS"),
        group=CONTACT,
        type=FieldType.BOOLEAN,
        build=column("sms_consent"),
    )
    register_field(
        key="preferred_channel",
        label=_("Preferred channel"),
        group=CONTACT,
        type=FieldType.CHOICE,
        build=column("preferred_channel", empty_value=""),
        choices=_choices_of(PreferredChannel),
    )
    register_field(key="city", label=_("City"), group=CONTACT, type=text, build=column("city", empty_value=""))
    register_field(
        key="country",
        label=_("Country"),
        group=CONTACT,
        type=text,
        build=_country("country"),
        operators=(Op.EQ, Op.NEQ, Op.IS_EMPTY, Op.IS_NOT_EMPTY),
        help_text=_("Two letters, e.g. DE"),
    )
    register_field(
        key="birthday_month",
        label=_("Birthday month"),
        group=CONTACT,
        type=FieldType.CHOICE,
        build=_birthday_month,
        choices=MONTHS,
    )
    register_field(
        key="birthday", label=_("Birthday"), group=CONTACT, type=FieldType.DATE, build=date_column("birthday")
    )
    register_field(
        key="created_at", label=_("Added on"), group=CONTACT, type=FieldType.DATE, build=datetime_column("created_at")
    )


# --- Account ----------------------------------------------------------------------------------------


def _register_account_fields() -> None:
    text = FieldType.TEXT
    register_field(key="account", label=_("Has an account"), group=ACCOUNT, type=FieldType.BOOLEAN, build=_has_account)
    register_field(key="account.name", label=_("Account name"), group=ACCOUNT, type=text, build=column("account__name"))
    register_field(
        key="account.industry", label=_("Industry"), group=ACCOUNT, type=text, build=column("account__industry")
    )
    register_field(
        key="account.employees",
        label=_("Company size (employees)"),
        group=ACCOUNT,
        type=FieldType.NUMBER,
        build=column("account__employees"),
    )
    register_field(key="account.city", label=_("Account city"), group=ACCOUNT, type=text, build=column("account__city"))
    register_field(
        key="account.country",
        label=_("Account country"),
        group=ACCOUNT,
        type=text,
        build=_country("account__country"),
        operators=(Op.EQ, Op.NEQ, Op.IS_EMPTY, Op.IS_NOT_EMPTY),
        help_text=_("Two letters, e.g. DE"),
    )


def _has_account(op: str, value: Any, ctx: RuleContext) -> Q:
    return Q(account__isnull=op == Op.IS_FALSE)


# --- Orders, interactions, tickets ------------------------------------------------------------------


def _paid_orders() -> QuerySet[Any]:
    from customers.models import Order, OrderStatus

    return Order.objects.filter(contact=OuterRef("pk"), status=OrderStatus.PAID)


def _order_total(*, since_days: int | None = None) -> Callable[[RuleContext], Any]:
    """The contact's paid orders summed in the tenant's currency (the same conversion as analytics:
    orders in a currency without a rate count at face value), 0 without orders."""

    def expression(ctx: RuleContext) -> Any:
        from customers.models import ExchangeRate

        orders = _paid_orders()
        if since_days is not None:
            orders = orders.filter(ordered_at__gte=ctx.days_ago(since_days))
        rate = ExchangeRate.objects.filter(currency=OuterRef("currency")).values("rate")[:1]
        total = (
            orders.order_by()
            .values("contact")
            .annotate(total=Sum(F("amount") * Coalesce(Subquery(rate), Value(Decimal(1)))))
            .values("total")
        )
        return Coalesce(Subquery(total, output_field=DecimalField()), Value(Decimal(0)), output_field=DecimalField())

    return expression


def _order_count(ctx: RuleContext) -> Any:
    from django.db.models import Count

    counted = _paid_orders().order_by().values("contact").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0), output_field=IntegerField())


def _open_ticket_count(ctx: RuleContext) -> Any:
    from django.db.models import Count

    from service_desk.models import OPEN_STATUSES, Ticket

    counted = (
        Ticket.objects.filter(contact=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("contact")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0), output_field=IntegerField())


def _number_of(expression: Callable[[RuleContext], Any]) -> Builder:
    """Compare a per-contact figure (a correlated subquery) with the rule's number."""

    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        figure = expression(ctx)
        match op:
            case Op.EQ:
                return Q(Exact(figure, value))
            case Op.NEQ:
                return ~Q(Exact(figure, value))
            case Op.GT:
                return Q(GreaterThan(figure, value))
            case Op.GTE:
                return Q(GreaterThanOrEqual(figure, value))
            case Op.LT:
                return Q(LessThan(figure, value))
            case Op.LTE:
                return Q(LessThanOrEqual(figure, value))
            case Op.BETWEEN:
                return Q(GreaterThanOrEqual(figure, value[0])) & Q(LessThanOrEqual(figure, value[1]))
        raise RuleError(gettext_now("This operator does not apply here."))

    return build


NUMBER_OPS = (Op.EQ, Op.NEQ, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN)


def _interactions(kind: str | None = None) -> Callable[[], QuerySet[Any]]:
    def events() -> QuerySet[Any]:
        from interactions.models import Interaction

        rows = Interaction.objects.filter(contact=OuterRef("pk"))
        return rows.filter(kind=kind) if kind else rows

    return events


def _tickets() -> QuerySet[Any]:
    from service_desk.models import Ticket

    return Ticket.objects.filter(contact=OuterRef("pk"))


def _register_activity_fields() -> None:
    from interactions.models import InteractionKind

    register_field(
        key="orders.last_date",
        label=_("Last order date"),
        group=ORDERS,
        type=FieldType.DATE,
        build=last_event_date(_paid_orders, "ordered_at"),
        help_text=_("Paid orders"),
    )
    register_field(
        key="orders.total",
        label=_("Total spend"),
        group=ORDERS,
        type=FieldType.NUMBER,
        build=_number_of(_order_total()),
        operators=NUMBER_OPS,
        help_text=_("Paid orders, in the workspace currency"),
    )
    register_field(
        key="orders.count",
        label=_("Number of orders"),
        group=ORDERS,
        type=FieldType.NUMBER,
        build=_number_of(_order_count),
        operators=NUMBER_OPS,
        help_text=_("Paid orders"),
    )
    for days in (30, 90, 365):
        register_field(
            key=f"orders.spend_{days}d",
            label=_("Spend in the last %(days)s days") % {"days": days},
            group=ORDERS,
            type=FieldType.NUMBER,
            build=_number_of(_order_total(since_days=days)),
            operators=NUMBER_OPS,
        )
    register_field(
        key="interactions.last_date",
        label=_("Last interaction"),
        group=ACTIVITY,
        type=FieldType.DATE,
        build=last_event_date(_interactions(), "occurred_at"),
    )
    for kind, label in InteractionKind.choices:
        register_field(
            key=f"interactions.had_{kind}",
            label=_("Had a %(kind)s") % {"kind": str(label).lower()},
            group=ACTIVITY,
            type=FieldType.RELATIVE_DATE,
            build=last_event_date(_interactions(kind), "occurred_at"),
        )
    register_field(
        key="tickets.open_count",
        label=_("Open tickets"),
        group=TICKETS,
        type=FieldType.NUMBER,
        build=_number_of(_open_ticket_count),
        operators=NUMBER_OPS,
    )
    register_field(
        key="tickets.had_ticket",
        label=_("Opened a ticket"),
        group=TICKETS,
        type=FieldType.RELATIVE_DATE,
        build=last_event_date(_tickets, "created_at"),
    )


# --- Scores -----------------------------------------------------------------------------------------


def _score(path: str, scale: Callable[[Decimal], Any]) -> Builder:
    """A score compared on its plain column. Not through the COALESCE(score, -1) that analytics'
    sort indexes hold: under row-level security PostgreSQL treats COALESCE as possibly leaky and will
    not use such an index for a filter (checked with EXPLAIN), while a plain comparison can use a plain
    (tenant, score) index."""
    base = column(path)

    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        if isinstance(value, tuple):
            return base(op, (scale(value[0]), scale(value[1])), ctx)
        return base(op, scale(value) if isinstance(value, Decimal) else value, ctx)

    return build


_churn_percent = _score("score__churn_probability", lambda percent: float(percent) / 100)
_predicted_value = _score("score__predicted_value", lambda amount: amount)


def _rfm_choices() -> list[tuple[str, str]]:
    from analytics.segments import SEGMENTS

    return [(name, name) for name in SEGMENTS]


def _cluster_choices() -> list[tuple[str, str]]:
    from analytics.models import ModelRun

    clusters = (
        ModelRun.objects.filter(promoted=True).order_by("-created_at").values_list("clusters", flat=True).first()
    ) or []
    return [(str(c.get("number")), str(c.get("name") or c.get("number"))) for c in clusters if "number" in c]


def _cluster(op: str, value: Any, ctx: RuleContext) -> Q:
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return column("score__cluster")(op, None, ctx)
    return column("score__cluster")(op, [int(v) for v in value], ctx)


def _register_score_fields() -> None:
    from customers.models import RiskBand

    register_field(
        key="score.churn_probability",
        label=_("Churn probability"),
        group=SCORES,
        type=FieldType.NUMBER,
        build=_churn_percent,
        unit="%",
        help_text=_("0 to 100"),
    )
    register_field(
        key="score.risk_band",
        label=_("Churn risk"),
        group=SCORES,
        type=FieldType.CHOICE,
        build=column("score__risk_band", empty_value=""),
        choices=_choices_of(RiskBand),
    )
    register_field(
        key="score.predicted_value",
        label=_("Predicted value"),
        group=SCORES,
        type=FieldType.NUMBER,
        build=_predicted_value,
    )
    register_field(
        key="score.rfm_segment",
        label=_("RFM segment"),
        group=SCORES,
        type=FieldType.CHOICE,
        build=column("score__rfm_segment", empty_value=""),
        choices=_rfm_choices,
    )
    register_field(
        key="score.cluster",
        label=_("Cluster"),
        group=SCORES,
        type=FieldType.CHOICE,
        build=_cluster,
        choices=_cluster_choices,
    )


# --- Lists and segments -----------------------------------------------------------------------------


def _static_list_choices() -> list[tuple[str, str]]:
    from campaigns.selectors import static_list_choices

    return static_list_choices()


def _in_static_list(op: str, value: Any, ctx: RuleContext) -> Q:
    from campaigns.models import StaticListMember

    # The scoped manager and row-level security keep another tenant's list ids matching nothing.
    members = StaticListMember.objects.filter(static_list_id__in=[int(v) for v in value], contact_id=OuterRef("pk"))
    return Q(Exists(members)) if op == Op.IN else ~Q(Exists(members))


def _segment_choices() -> list[tuple[str, str]]:
    from segments.models import Segment

    return [(str(pk), name) for pk, name in Segment.objects.order_by("name", "id").values_list("pk", "name")]


def _in_segment(op: str, value: Any, ctx: RuleContext) -> Q:
    from segments.models import Segment
    from segments.rules import compile_rules

    ids = [int(v) for v in value]
    condition = Q(pk__in=[])
    for segment in Segment.objects.filter(pk__in=ids).order_by("pk"):  # few rows: the rule's own choices
        if segment.pk in ctx.segment_stack:
            raise RuleError(gettext_now("“%(name)s” includes itself through its rules.") % {"name": segment.name})
        condition |= compile_rules(segment.rules, ctx.nested(segment.pk))
    return condition if op == Op.IN else ~condition


def _register_membership_fields() -> None:
    register_field(
        key="static_list",
        label=_("In static list"),
        group=MEMBERSHIP,
        type=FieldType.CHOICE,
        build=_in_static_list,
        choices=_static_list_choices,
        operators=(Op.IN, Op.NOT_IN),
    )
    register_field(
        key="segment",
        label=_("In segment"),
        group=MEMBERSHIP,
        type=FieldType.CHOICE,
        build=_in_segment,
        choices=_segment_choices,
        operators=(Op.IN, Op.NOT_IN),
    )


_register_contact_fields()
_register_account_fields()
register_field_source(custom_fields)
_register_activity_fields()
_register_score_fields()
_register_membership_fields()
