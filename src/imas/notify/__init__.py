"""Outbound notifications: webhook subscriptions and their deliveries (seed 001, "Webhook
Management"). Events (`imas.events`) become delivery rows and jobs in the transaction of the
change (`outbox`); a worker sends each one, signed, and records every attempt (`jobs`)."""
