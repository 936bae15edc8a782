"""Drills under Art. 24 (3): contact-tree checks, tabletop exercises, plans and reports."""
