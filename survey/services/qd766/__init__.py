"""The QĐ 766/QĐ-TTg per-dossier satisfaction score, computed beside the sampled index."""
