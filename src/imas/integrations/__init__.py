"""Chat and ticketing tools IMAS talks with both ways: `slack` and `jira`, each a sub-package with
its per-organization configuration, its inbound endpoints and its client."""
