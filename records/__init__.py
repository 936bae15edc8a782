"""The written record of an incident (事故等報告書, Art. 24 (1) ④): data, templates, rendering."""
