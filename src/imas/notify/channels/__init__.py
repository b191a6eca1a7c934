"""Notification channels: one module per kind of contact (e-mail, webhook, Slack...), each one
`Channel` subclass, found by `registry`."""
