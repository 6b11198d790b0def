"""Publications: every published number is a frozen, versioned, reproducible record (DESIGN §7b)."""
