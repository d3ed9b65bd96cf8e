"""Command groups of the ``silkrail`` command, each registered on the main app by one call."""
