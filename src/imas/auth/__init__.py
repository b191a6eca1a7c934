"""Authentication (opaque API tokens and JWT sessions) and scope-based authorization."""
