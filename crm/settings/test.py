"""Test settings: the base settings with fast hashing and captured mail."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "true")

from crm.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT = None  # type: ignore[assignment]  # served from STATICFILES_DIRS by the test server; nothing is collected
# Uploaded files (attachments, raw inbound mail, import files) go to a throwaway folder, not ./media;
# through the environment, so the xdist workers and the real Celery worker the tests start share it.
MEDIA_ROOT = Path(os.environ.setdefault("CRM_TEST_MEDIA_ROOT", tempfile.mkdtemp(prefix="crm-test-media-")))
