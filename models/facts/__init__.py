"""Structured facts of an incident, its outcome, and 甲's decisions (DESIGN.md §9)."""
