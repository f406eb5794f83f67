"""The role-aware home page and the health check."""
