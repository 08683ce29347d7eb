"""Text analysis shared by extraction, matching and relations: one module per idea (language, ...)."""
