"""Citizen feedback: redacted comments, themes, the inbox, and feedback cases routed to units."""
