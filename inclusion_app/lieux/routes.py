"""Public and staff pages of help points: list, map, detail."""
