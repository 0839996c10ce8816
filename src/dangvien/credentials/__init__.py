"""Card credentials."""
