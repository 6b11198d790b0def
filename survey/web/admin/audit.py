"""Admin pages: audit (filled by its feature)."""
