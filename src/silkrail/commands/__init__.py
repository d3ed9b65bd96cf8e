"""Command groups of the ``silkrail`` command, one module per subject, and what they share (`console`)."""
