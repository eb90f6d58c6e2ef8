"""Email in and out."""

from django.db import models  # noqa: F401
