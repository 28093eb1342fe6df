"""Small helpers shared across the kit (argument validation, precision)."""
