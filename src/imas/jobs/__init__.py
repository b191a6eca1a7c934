"""The durable job runner: work that must happen later is a row, committed with its cause."""
