"""`jikoflow notifications`: the outbox as an operator sees it."""
