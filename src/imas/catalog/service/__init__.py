"""The catalog's rules, one module per noun: plain arguments in, domain objects out; no FastAPI,
no commit (the request owns the transaction), flush only."""
