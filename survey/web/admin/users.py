"""Admin pages: users (filled by its feature)."""
