"""The parties domain."""
