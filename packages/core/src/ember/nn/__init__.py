"""`ember.nn`: modules, parameters, initialisation, functional layer math and utilities."""
from . import functional, init, parallel, utils
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter
