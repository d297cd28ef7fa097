"""ember.optim (being written)."""
