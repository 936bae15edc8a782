"""jikoflow: Article 24 incident response for entrusted information."""

__version__ = "0.1.0"
