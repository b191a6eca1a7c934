"""Tenancy: organizations, users and their memberships (with a role)."""
