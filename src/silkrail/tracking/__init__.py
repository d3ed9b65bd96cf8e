"""Live tracking: trains, events, ETAs that learn from observed border dwell, alerts, storage."""
