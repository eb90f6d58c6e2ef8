"""REST endpoints for segments: list, retrieve (with rules), create and update (rules validated, errors
named by rule), delete, and the members as a keyset-paginated list of ids and names."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crm.access import acting_user
from crm.api import TenantScopedViewSet
from crm.roles import Capability
from segments import selectors, services
from segments.models import Segment
from segments.rules import RuleError


class SegmentSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "description", "created_at", "updated_at"]


class SegmentSerializer(serializers.ModelSerializer):
    rules = serializers.JSONField(
        help_text='{"match": "all"|"any", "rules": [{"field": "...", "op": "...", "value": ...} or a nested group]}'
    )

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "rules", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class SegmentMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    name = serializers.CharField(source="full_name")


class MemberPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


def _segments() -> Any:
    return selectors.segments_for_list()


class SegmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    """Segments: audiences as rules over contacts, evaluated each time they are used. A rule that cannot be
    used answers 400 with `rules` as a list of `{"path": "2.1", "message": "Rule 2.1 (Total spend): enter a
    number."}`."""

    selector = staticmethod(_segments)
    capability = Capability.CAMPAIGNS_VIEW
    write_capability = Capability.CAMPAIGNS_EDIT
    resource_label = "Segments"
    serializer_class = SegmentSerializer
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "list":
            return SegmentSummarySerializer
        if self.action == "contacts":
            return SegmentMemberSerializer
        return SegmentSerializer

    def _save(self, request: Request, segment: Segment | None, *, partial: bool) -> Response:
        serializer = SegmentSerializer(segment, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        tenant = request._request.tenant  # type: ignore[attr-defined]
        by = acting_user(request._request)
        created = segment is None
        try:
            if segment is None:
                segment = services.segment_create(
                    tenant=tenant,
                    name=data["name"],
                    description=data.get("description", ""),
                    rules=data["rules"],
                    by=by,
                )
            else:
                segment = services.segment_update(
                    tenant=tenant,
                    segment=segment,
                    name=data.get("name", segment.name),
                    description=data.get("description", segment.description),
                    rules=data.get("rules", segment.rules),
                    by=by,
                )
        except services.SegmentError as error:
            if error.field:
                raise ValidationError({error.field: [str(error)]}) from None
            raise ValidationError(
                {"rules": [{"path": issue.path, "message": issue.message} for issue in error.issues]}
            ) from None
        return Response(
            SegmentSerializer(segment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(responses={201: SegmentSerializer, 400: OpenApiResponse()})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, None, partial=False)

    @extend_schema(responses={200: SegmentSerializer, 400: OpenApiResponse()})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, self.get_object(), partial=kwargs.get("partial", False))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        segment = self.get_object()
        try:
            services.segment_delete(
                tenant=request._request.tenant,
                segment=segment,
                by=acting_user(request._request),  # type: ignore[attr-defined]
            )
        except services.SegmentError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: SegmentMemberSerializer(many=True), 400: OpenApiResponse()})
    @action(detail=True, methods=["get"], pagination_class=MemberPagination)
    def contacts(self, request: Request, pk: int | None = None) -> Response:
        """The segment's members now (the caller's record visibility applies), by id, 100 a page."""
        segment = self.get_object()
        try:
            members = selectors.segment_contacts(segment, user=acting_user(request._request)).only(
                "id", "first_name", "last_name", "email"
            )
        except RuleError as error:
            raise ValidationError({"rules": [{"path": error.path, "message": str(error)}]}) from None
        page = self.paginate_queryset(members)
        return self.get_paginated_response(SegmentMemberSerializer(page, many=True).data)
