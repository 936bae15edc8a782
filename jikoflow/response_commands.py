"""Commands for the rest of the Article 24 sequence: contain, cause, prevent, record, submit."""
