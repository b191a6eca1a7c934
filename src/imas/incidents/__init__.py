"""Incidents: lifecycle, KPIs, SLA, comments, tags and the timeline."""
