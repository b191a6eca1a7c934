"""The rules of CI/CD, one module per use case. Plain arguments in, rows out; never commits."""
