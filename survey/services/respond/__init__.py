"""Storing citizens' answers: one service with two write paths.

- answers.py: answers checked against the exact questionnaire version.
- responses.py: invitations by token, drafts, `prepare_response` (the one validation, giving a
  response's column values and answer rows) and `store_response`, which stores them through the
  ORM in the request's own transaction: link answers and kiosk hand-offs.
- comments.py: free text redacted before it becomes an answer row, and the rows stored with the
  response: its comments (the inbox), the raw text where redaction changed it, a call-back phone.
- batch.py + writer.py: kiosk walk-ups, the same prepared rows stored by group commit, many
  requests in one transaction with a few raw statements.
tests/respond/test_write_paths.py checks that both paths store identical rows.
"""
