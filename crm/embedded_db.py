"""The embedded PostgreSQL used when no DATABASE_URL is configured.

It starts a real PostgreSQL 16 from the ``pgserver`` wheel in a git-ignored data
folder, then makes sure the owner and runtime roles and the database exist, so a
newcomer can try the app without installing a database.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from crm.db.roles import DatabaseRoles, ensure_roles_and_database

logger = logging.getLogger(__name__)

EMBEDDED_DATABASE_NAME = "crm"
EMBEDDED_ROLES = DatabaseRoles(owner="crm_owner", runtime="crm_app")


def embedded_database_configs(data_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start (or reuse) the embedded server; return the runtime and owner DB configs."""
    import psycopg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    port = info.port
    admin_dsn = f"host={socket_dir} port={port} user=postgres dbname=postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        ensure_roles_and_database(admin, roles=EMBEDDED_ROLES, database=EMBEDDED_DATABASE_NAME)

    def config(user: str) -> dict[str, Any]:
        return {
            "NAME": EMBEDDED_DATABASE_NAME,
            "USER": user,
            "PASSWORD": "",
            "HOST": socket_dir,
            "PORT": str(port),
        }

    return config(EMBEDDED_ROLES.runtime), config(EMBEDDED_ROLES.owner)
