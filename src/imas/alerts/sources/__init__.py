"""Alert sources: one module per monitoring tool, each one `Source` subclass (see `registry`)."""
