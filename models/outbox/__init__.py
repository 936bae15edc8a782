"""The outbox domain."""
