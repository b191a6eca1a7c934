"""The rules of the pipelines domain: plain arguments in, domain objects out; never commits."""
