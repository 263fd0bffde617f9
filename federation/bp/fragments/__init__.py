"""HTML fragments the federation app serves to the others at /internal/fragments/<type>."""
