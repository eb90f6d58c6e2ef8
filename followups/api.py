"""REST endpoints for tasks: list, read, create, update (PATCH status "done" completes one).

Writes go through the same services as the pages; bad input is a 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api import TenantScopedViewSet
from crm.idempotency.api import idempotent
from crm.models import User
from crm.roles import Capability
from customers.api import IdCursorPagination
from customers.models import Account, Contact, Deal
from followups import selectors, services
from followups.models import ReminderChoice, Task, TaskPriority, TaskStatus
from followups.services import TaskData, TaskInputError


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "title", "notes", "due_at", "assignee", "priority", "status", "completed_at",
                  "remind_before_minutes", "contact", "account", "deal", "created_by", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields


class TaskWriteSerializer(serializers.Serializer):
    """Ids are checked against the caller's tenant (and record visibility) here, not by DRF's
    related fields, whose querysets would be evaluated outside any tenant."""

    title = serializers.CharField(max_length=200, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    assignee = serializers.IntegerField(required=False)
    priority = serializers.ChoiceField(choices=TaskPriority.choices, required=False)
    status = serializers.ChoiceField(choices=TaskStatus.choices, required=False)
    remind_before_minutes = serializers.ChoiceField(choices=ReminderChoice.choices, required=False, allow_null=True)
    contact = serializers.IntegerField(required=False, allow_null=True)
    account = serializers.IntegerField(required=False, allow_null=True)
    deal = serializers.IntegerField(required=False, allow_null=True)

    def validate_assignee(self, value: int) -> User:
        user = selectors.members().filter(pk=value).first()
        if user is None:
            raise ValidationError("No member of this workspace has this id.")
        return user

    def _record(self, model: Any, value: int | None, what: str) -> Any:
        if value is None:
            return None
        record = model.objects.filter(pk=value).first()
        if record is None:
            raise ValidationError(f"No {what} with this id.")
        return record

    def validate_contact(self, value: int | None) -> Contact | None:
        return self._record(Contact, value, "contact")  # type: ignore[no-any-return]

    def validate_account(self, value: int | None) -> Account | None:
        return self._record(Account, value, "account")  # type: ignore[no-any-return]

    def validate_deal(self, value: int | None) -> Deal | None:
        return self._record(Deal, value, "deal")  # type: ignore[no-any-return]


def _data(values: dict[str, Any], *, task: Task | None, user: User) -> TaskData:
    def pick(name: str, default: Any) -> Any:
        return values[name] if name in values else (getattr(task, name) if task is not None else default)

    if task is None and not values.get("title"):
        raise ValidationError({"title": ["This field is required."]})
    return TaskData(
        title=pick("title", ""),
        notes=pick("notes", ""),
        due_at=pick("due_at", None),
        assignee=pick("assignee", user),
        priority=pick("priority", TaskPriority.NORMAL),
        remind_before_minutes=pick("remind_before_minutes", ReminderChoice.AT_DUE),
        contact=pick("contact", None),
        account=pick("account", None),
        deal=pick("deal", None),
    )


class TaskViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    TenantScopedViewSet,
):  # fmt: skip
    selector = staticmethod(selectors.tasks_for_api)
    capability = Capability.CUSTOMERS_VIEW
    write_capability = Capability.INTERACTIONS_EDIT
    serializer_class = TaskSerializer
    pagination_class = IdCursorPagination

    def _write(self, request: Request, task: Task | None) -> Task:
        incoming = TaskWriteSerializer(data=request.data, partial=task is not None)
        incoming.is_valid(raise_exception=True)
        values = dict(incoming.validated_data)
        tenant, user = request._request.tenant, request.user  # type: ignore[attr-defined]
        wanted_status = values.pop("status", None)
        try:
            if task is None:
                task = services.task_create(tenant=tenant, by=user, data=_data(values, task=None, user=user))
            elif values:
                task = services.task_update(tenant=tenant, task=task, by=user, data=_data(values, task=task, user=user))
        except TaskInputError as error:
            raise ValidationError({error.field or "non_field_errors": [str(error)]}) from error
        assert task is not None
        if wanted_status == TaskStatus.DONE:
            task = services.task_complete(tenant=tenant, task=task, by=user)
        elif wanted_status == TaskStatus.OPEN:
            task = services.task_reopen(tenant=tenant, task=task, by=user)
        return task

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self._write(request, None)
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self._write(request, self.get_object())
        return Response(TaskSerializer(task).data)
