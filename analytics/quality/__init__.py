"""Data quality: the cleaning run (normalise, flag, count, find duplicates) and its page."""
