"""ember.nn (being written)."""
