"""HTML fragments the market app serves to the others at /internal/fragments/<type>."""
