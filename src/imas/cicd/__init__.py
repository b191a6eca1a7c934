"""CI/CD runs from GitHub and GitLab webhooks, and the change events they make."""
