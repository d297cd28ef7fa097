"""ember.linalg (being written)."""

__all__ = []
