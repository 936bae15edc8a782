"""The incidents domain."""
