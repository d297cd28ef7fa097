"""The `tcp` backend: collectives in pure Python through rank 0's TCP store, CPU arrays.

For machines without MPI (and for tests): every collective is an exchange of pickled arrays
through the store, reduced with numpy in rank order so all ranks get the same bits. It is slow
for big models; prefer `mpi` on CPU clusters and `nccl` on GPUs.
"""
import pickle

from . import Work, reduce_arrays


class TCPBackend:
    def __init__(self, store, rank, world_size):
        self.store, self.rank, self.world_size = store, rank, world_size
        self._sequence = 0  # collectives are called in the same order on every rank
        self._sent, self._received = {}, {}  # per-peer message counters for send/recv

    def _exchange(self, payload):
        """Each rank's payload (None where a rank has nothing to say), from every rank."""
        self._sequence += 1
        prefix = f"c{self._sequence}/"
        self.store.set(prefix + str(self.rank), pickle.dumps(payload))
        values = [pickle.loads(self.store.get(prefix + str(r))) for r in range(self.world_size)]
        # The last rank to read removes the keys, so a long run does not grow the store.
        if self.store.add(prefix + "read", 1) == self.world_size:
            self.store.delete_keys([prefix + str(r) for r in range(self.world_size)] +
                                   [prefix + "read"])
        return values

    def all_reduce(self, arr, op, async_op=False):
        arr[...] = reduce_arrays(self._exchange(arr), op)
        return Work()

    def broadcast(self, arr, src):
        arr[...] = self._exchange(arr if self.rank == src else None)[src]

    def all_gather(self, out, arr):
        out[...] = self._exchange(arr)

    def reduce_scatter(self, out, stacked, op):
        out[...] = reduce_arrays([s[self.rank] for s in self._exchange(stacked)], op)

    def gather(self, out, arr, dst):
        parts = self._exchange(arr)
        if out is not None:
            out[...] = parts

    def scatter(self, out, stacked, src):
        out[...] = self._exchange(stacked if self.rank == src else None)[src][self.rank]

    def send(self, arr, dst, tag):
        n = self._sent.get((dst, tag), 0)
        self._sent[(dst, tag)] = n + 1
        self.store.set(f"p2p/{self.rank}->{dst}/{tag}/{n}", pickle.dumps(arr))

    def recv(self, arr, src, tag):
        if src is None:
            raise RuntimeError("ember.distributed.recv: the 'tcp' backend needs src (it cannot "
                               "receive from any rank); use the 'mpi' backend for that")
        n = self._received.get((src, tag), 0)
        self._received[(src, tag)] = n + 1
        key = f"p2p/{src}->{self.rank}/{tag}/{n}"
        arr[...] = pickle.loads(self.store.get(key))
        self.store.delete_key(key)
        return src

    def isend(self, arr, dst, tag):
        self.send(arr, dst, tag)  # the store keeps it; the send never blocks
        return Work()

    def irecv(self, arr, src, tag):
        return Work(wait=lambda: self.recv(arr, src, tag))

    def barrier(self):
        self._exchange(None)

    def all_gather_object(self, obj):
        return self._exchange(obj)

    def broadcast_object(self, obj, src):
        return self._exchange(obj if self.rank == src else None)[src]

    def close(self):
        self.barrier()
        # Rank 0 serves the store: it leaves last, once every other rank has said goodbye.
        if self.rank == 0:
            for r in range(1, self.world_size):
                self.store.get(f"bye/{r}")
        else:
            self.store.set(f"bye/{self.rank}", b"")
        self.store.close()
