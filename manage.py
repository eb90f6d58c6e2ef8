#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from crm.db.roles import UnsafeDatabaseRole

    try:
        execute_from_command_line(sys.argv)
    except (ImproperlyConfigured, UnsafeDatabaseRole) as error:
        # A malformed setting: say which and stop, without a traceback.
        sys.stderr.write(f"Configuration error: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
