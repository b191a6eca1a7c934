"""The rules of the Kubernetes domain."""
