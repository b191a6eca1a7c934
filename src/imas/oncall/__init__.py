"""On-call: schedules (rotations in layers, overrides), escalation policies, and the contact
methods and notification rules by which a person is paged."""
