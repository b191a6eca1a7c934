"""Root-cause analysis: similar resolved incidents (the database's own text search), the error
classification of the alert intake, the service's runbooks, and an optional LLM, combined into
one stored analysis per request."""
