"""ember.utils."""
from . import data
