"""WSGI entry point. Refuses to start if the runtime database role could bypass RLS."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")

application = get_wsgi_application()

from crm.db.startup import check_runtime_database_role  # noqa: E402

check_runtime_database_role()
