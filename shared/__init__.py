"""Everything the six Rose Ash apps have in common."""
