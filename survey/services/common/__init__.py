"""Helpers every feature uses: audit log, tokens, storable text, units of work, i18n, periods, bulk insert."""
