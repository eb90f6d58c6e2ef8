"""What every list page shares: saved views, bulk actions (with their jobs) and the list registry."""
