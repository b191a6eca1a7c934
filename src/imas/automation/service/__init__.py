"""The rules of automation, one module per use case; never commits."""
