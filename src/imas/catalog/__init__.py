"""The service catalog: teams, services, impact scopes, tags and runbooks."""
