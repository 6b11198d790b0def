"""Tests of citizen feedback: comments, themes, the inbox and feedback cases."""
