"""HTTP plumbing shared by every plugin: problem+json errors, request ids, idempotency, health, capabilities."""
