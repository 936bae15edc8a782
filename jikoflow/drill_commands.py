"""`jikoflow drill …` and `jikoflow serve`: rehearsals under Art. 24 (3)."""
