"""Storing citizens' answers: validation, drafts, and the two write paths of one service."""
