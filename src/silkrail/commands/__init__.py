"""Command-line commands beyond the core ones of :mod:`silkrail.cli`, one module per subject."""
