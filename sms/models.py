"""SMS sending."""

from django.db import models  # noqa: F401
