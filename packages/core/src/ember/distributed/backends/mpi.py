"""The `mpi` backend: mpi4py over the launcher's MPI (Open MPI, MPICH), CPU arrays.

Buffers go to MPI as the tensors' own numpy arrays (no copy when contiguous). Dtypes MPI has
no type for (float16, bfloat16, bool) travel as pickled arrays and are reduced with numpy.
An uncaught exception on any rank prints its traceback with the rank and aborts the whole job,
so the other ranks never wait forever in a collective.
"""
import sys
import traceback

from . import Work, reduce_arrays

try:
    from mpi4py import MPI
except ImportError:  # the error is raised when the backend is chosen, not at import
    MPI = None

_OPS = {}


def _mpi_op(op):
    if not _OPS:
        _OPS.update(sum=MPI.SUM, product=MPI.PROD, max=MPI.MAX, min=MPI.MIN)
    return _OPS[op]


def _has_mpi_type(arr):
    kind = arr.dtype.kind
    return kind in "iu" or (kind in "fc" and arr.dtype.itemsize >= 4)


class MPIBackend:
    def __init__(self):
        if MPI is None:
            raise RuntimeError("init_process_group(backend='mpi') needs mpi4py and an MPI "
                               "library: `apt-get install openmpi-bin libopenmpi-dev` and "
                               "`pip install mpi4py`, then start with `mpirun -n N python ...`")
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank, self.world_size = self.comm.Get_rank(), self.comm.Get_size()
        self._install_abort_on_error()

    def _install_abort_on_error(self):
        previous, rank, size = sys.excepthook, self.rank, self.world_size

        def abort(kind, value, tb):
            sys.stderr.write(f"ember.distributed: rank {rank} of {size} failed with an "
                             "uncaught exception; aborting all ranks\n")
            sys.stderr.write("".join(traceback.format_exception(kind, value, tb)))
            sys.stderr.flush()
            MPI.COMM_WORLD.Abort(1)
            previous(kind, value, tb)

        sys.excepthook = abort

    def _call(self, name, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MPI.Exception as e:
            raise RuntimeError(f"ember.distributed.{name} failed on rank {self.rank} of "
                               f"{self.world_size}: {e}") from None

    def all_reduce(self, arr, op, async_op=False):
        if not _has_mpi_type(arr):
            arr[...] = reduce_arrays(self._call("all_reduce", self.comm.allgather, arr), op)
            return Work()
        if async_op:
            request = self._call("all_reduce", self.comm.Iallreduce, MPI.IN_PLACE, arr,
                                 op=_mpi_op(op))
            return Work(wait=request.Wait, test=request.Test)
        self._call("all_reduce", self.comm.Allreduce, MPI.IN_PLACE, arr, op=_mpi_op(op))
        return Work()

    def broadcast(self, arr, src):
        if not _has_mpi_type(arr):
            arr[...] = self._call("broadcast", self.comm.bcast, arr, root=src)
        else:
            self._call("broadcast", self.comm.Bcast, arr, root=src)

    def all_gather(self, out, arr):
        if not _has_mpi_type(arr):
            out[...] = self.comm.allgather(arr)
        else:
            self._call("all_gather", self.comm.Allgather, arr, out)

    def reduce_scatter(self, out, stacked, op):
        if not _has_mpi_type(out):
            parts = self._call("reduce_scatter", self.comm.alltoall, list(stacked))
            out[...] = reduce_arrays(parts, op)
        else:
            self._call("reduce_scatter", self.comm.Reduce_scatter_block, stacked, out,
                       op=_mpi_op(op))

    def gather(self, out, arr, dst):
        if not _has_mpi_type(arr):
            parts = self._call("gather", self.comm.gather, arr, root=dst)
            if out is not None:
                out[...] = parts
        else:
            self._call("gather", self.comm.Gather, arr, out, root=dst)

    def scatter(self, out, stacked, src):
        if not _has_mpi_type(out):
            out[...] = self._call("scatter", self.comm.scatter,
                                  None if stacked is None else list(stacked), root=src)
        else:
            self._call("scatter", self.comm.Scatter, stacked, out, root=src)

    def send(self, arr, dst, tag):
        if not _has_mpi_type(arr):
            self._call("send", self.comm.send, arr, dest=dst, tag=tag)
        else:
            self._call("send", self.comm.Send, arr, dest=dst, tag=tag)

    def recv(self, arr, src, tag):
        status = MPI.Status()
        source = MPI.ANY_SOURCE if src is None else src
        if not _has_mpi_type(arr):
            arr[...] = self._call("recv", self.comm.recv, source=source, tag=tag, status=status)
        else:
            self._call("recv", self.comm.Recv, arr, source=source, tag=tag, status=status)
        return status.Get_source()

    def isend(self, arr, dst, tag):
        if not _has_mpi_type(arr):
            request = self._call("isend", self.comm.isend, arr, dest=dst, tag=tag)
        else:
            request = self._call("isend", self.comm.Isend, arr, dest=dst, tag=tag)
        return Work(wait=request.Wait, test=request.Test)

    def irecv(self, arr, src, tag):
        source = MPI.ANY_SOURCE if src is None else src
        if not _has_mpi_type(arr):
            request = self._call("irecv", self.comm.irecv, source=source, tag=tag)

            def finish():
                arr[...] = request.wait()
            return Work(wait=finish)
        request = self._call("irecv", self.comm.Irecv, arr, source=source, tag=tag)
        return Work(wait=request.Wait, test=request.Test)

    def barrier(self):
        self._call("barrier", self.comm.Barrier)

    def all_gather_object(self, obj):
        return self._call("all_gather_object", self.comm.allgather, obj)

    def broadcast_object(self, obj, src):
        return self._call("broadcast_object_list", self.comm.bcast, obj, root=src)

    def close(self):
        self.comm.Barrier()
        self.comm.Free()
