"""Live tracking: trains, events, ETAs that learn from observed border dwell, alerts, storage.

``core`` (the pure state machine), ``dwell`` (learning), ``alerts`` (rules) and ``eta`` do no
I/O; ``repository`` keeps their state in SQLite or PostgreSQL (tables in ``store``);
``tracker.Tracker`` orchestrates them; ``results`` holds what it answers."""
