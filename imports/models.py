"""Imports of customer data from files: upload, map, preview, run, report, undo."""

from django.db import models  # noqa: F401
