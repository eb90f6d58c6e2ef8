"""Settings of the Celery worker the inbox worker test starts: its own queue and media folder."""

import os

from crm.settings.test import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_CELERY_QUEUE"]  # tasks it queues come back to it
MEDIA_ROOT = os.environ["TEST_MEDIA_ROOT"]  # raw messages go to the test's temporary folder
