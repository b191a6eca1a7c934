"""Data pipelines (seed 003): connectors, pipelines and their steps, schedules; runs execute
through the run engine's tables (`imas.automation`)."""
