"""The questionnaire bank: file format, cross-reference rules, loading and reading versions."""
