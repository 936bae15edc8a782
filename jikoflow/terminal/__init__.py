"""Terminal views (rich): what the CLI prints for people, in Asia/Tokyo time."""
