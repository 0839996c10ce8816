"""Cell meetings."""
