"""In-app notifications."""

from django.db import models  # noqa: F401
