"""The response domain."""
