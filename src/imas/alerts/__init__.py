"""Alert intake: integrations, source plugins, normalized alerts, dedup and grouping, silences."""
