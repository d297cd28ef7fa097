"""ember.save / ember.load (being written)."""

__all__ = []
