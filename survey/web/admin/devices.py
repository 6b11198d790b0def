"""Admin pages: devices (filled by its feature)."""
