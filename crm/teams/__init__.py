"""Teams: groups of a tenant's members. Record visibility "team" shows a rep the records owned by
anyone who shares a team with them (crm/visibility.py)."""
