"""Test settings: the base settings with fast hashing and captured mail."""

import os

os.environ.setdefault("DEBUG", "true")

from crm.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT = None  # type: ignore[assignment]  # served from STATICFILES_DIRS by the test server; nothing is collected
