"""crosscheck service: HTTP API, storage, claim extraction, CLI."""
