"""JIRA: an issue per incident of chosen severities, status pushed both ways (the seed's
`/jira-webhook`, at `/api/v1/webhooks/jira/`)."""
