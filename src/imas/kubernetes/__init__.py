"""Kubernetes clusters and the inventory IMAS keeps of their nodes and pods."""
