"""Demo data: two tenants, a user per role, and realistic customers, orders and interactions.

``seed.seed_demo`` is the entry point (``manage.py seed_demo``); ``generate`` plans the data
with numpy and documents the signal planted for analytics; ``load`` writes it set-wise.
"""
