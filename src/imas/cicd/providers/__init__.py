"""What GitHub and GitLab send, turned into the runs, jobs and pushes IMAS records."""
