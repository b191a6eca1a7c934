"""Live updates: every domain event of an organization, pushed to its WebSocket clients
(`/ws/`), whichever IMAS process made the change."""
