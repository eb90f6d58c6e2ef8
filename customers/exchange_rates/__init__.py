"""Exchange rates to the tenant's default currency, set by admins; forecasts convert with them."""
