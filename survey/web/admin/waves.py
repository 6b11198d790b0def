"""Admin pages: waves (filled by its feature)."""
