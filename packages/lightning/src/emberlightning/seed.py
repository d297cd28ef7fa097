"""`seed_everything`: one seed for Python's `random`, NumPy's global state and ember's generator."""
import os
import random

import numpy as np

import ember


def seed_everything(seed=None, workers=False):
    """Seed every random-number generator a run uses; returns the seed.

    With `workers=True`, DataLoader workers derive their seeds from it too (ember's DataLoader
    already seeds each worker from the base generator; the flag is kept in the environment as
    Lightning does, so subprocesses see it).
    """
    if seed is None:
        seed = int(os.environ.get("PL_GLOBAL_SEED", 0))
    seed = int(seed)
    os.environ["PL_GLOBAL_SEED"] = str(seed)
    os.environ["PL_SEED_WORKERS"] = str(int(workers))
    random.seed(seed)
    np.random.seed(seed % 2**32)
    ember.manual_seed(seed)
    return seed
