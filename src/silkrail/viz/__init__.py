"""Maps (standalone HTML, no tile server) and charts (PNG)."""
