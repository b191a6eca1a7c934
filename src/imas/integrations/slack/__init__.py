"""Slack: incident messages with buttons, war rooms, `/imas` slash commands, modals and
mentions; every inbound request verified with the workspace's signing secret."""
