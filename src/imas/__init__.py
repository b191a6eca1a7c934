"""IMAS: incident management and automation."""

__version__ = "0.1.0"
