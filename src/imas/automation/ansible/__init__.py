"""Ansible playbooks as run actions: where playbooks live (`playbooks`), how one is run
(`runner`, through ansible-runner), what its events add up to (`results`), and the
`/api/v1/ansible/` use cases (`service`, `schemas`)."""
