"""Backends move raw arrays between ranks; `collectives.py` turns tensors into arrays for them.

Every backend offers the same methods on contiguous arrays (numpy for `mpi`/`tcp`, cupy for
`nccl`): all_reduce, broadcast, all_gather, reduce_scatter, gather, scatter, send, recv,
isend, irecv, barrier, all_gather_object, broadcast_object, close. Reductions are named
"sum", "product", "max" and "min" ("avg" is a sum divided by the world size, done by the caller).
"""
import functools


class Work:
    """A started operation: `wait()` finishes it (and whatever must follow, e.g. copying a
    received array back into a non-contiguous tensor); `is_completed()` asks without waiting."""

    def __init__(self, wait=None, test=None, then=None):
        self._wait, self._test, self._then, self._done = wait, test, then, wait is None
        if self._done and then is not None:
            then()

    def wait(self, timeout=None):
        if not self._done:
            self._wait()
            self._done = True
            if self._then is not None:
                self._then()
        return True

    def is_completed(self):
        if not self._done and self._test is not None and self._test():
            self.wait()
        return self._done


def reduce_arrays(arrays, op):
    """Combine one array per rank, in rank order, so every rank computes the same bits."""
    xp = _xp(arrays[0])
    fn = {"sum": xp.add, "product": xp.multiply, "max": xp.maximum, "min": xp.minimum}[op]
    return functools.reduce(fn, arrays)


def _xp(arr):
    from ..._device import array_module_of
    return array_module_of(arr)
