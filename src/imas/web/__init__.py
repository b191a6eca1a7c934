"""The dashboard: server-rendered pages (Jinja2) over the same services and repositories as the
API, a session cookie holding a JWT access token, and one small script for live updates."""
