"""The human lane: handoff tickets and the agents' queue, console staff accounts, call-back times."""
