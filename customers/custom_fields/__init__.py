"""Custom fields: tenant-defined fields on contacts, accounts and deals, stored in each record's
``custom_fields`` JSON and validated here on every write path (forms, imports, API)."""
