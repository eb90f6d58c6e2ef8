"""``Idempotency-Key`` for API writes: the same key and request answer the same response once more
without doing the work again; the same key with another request is refused (422)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from crm.idempotency.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: Request) -> str:
    return hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), request.body])).hexdigest()


def _replay(record: IdempotencyKey, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        return Response(
            {"detail": f"This {HEADER} was already used for a different request; use a new key."},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent(action: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a viewset's create: with the header, the write and the stored answer commit together."""

    @wraps(action)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return action(view, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return Response({"detail": f"{HEADER} is longer than {MAX_KEY_LENGTH} characters."}, status=400)
        fingerprint = _fingerprint(request)
        tenant, user = request._request.tenant, request.user  # type: ignore[attr-defined]
        done = IdempotencyKey.objects.filter(user=user, key=key).first()
        if done is not None:
            return _replay(done, fingerprint)
        try:
            with transaction.atomic():
                response = action(view, request, *args, **kwargs)
                if status.is_success(response.status_code):
                    IdempotencyKey.objects.create(tenant=tenant, user=user, key=key, request_hash=fingerprint,
                                                  status_code=response.status_code, response=response.data)  # fmt: skip
        except IntegrityError:
            first = IdempotencyKey.objects.filter(user=user, key=key).first()
            if first is None:  # the write itself broke a constraint: not ours to answer
                raise
            return _replay(first, fingerprint)  # a concurrent request with this key committed first

        return response

    return wrapper
