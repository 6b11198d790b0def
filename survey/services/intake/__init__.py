"""Dossier intake from the one-stop software: API keys, record validation, batches."""
