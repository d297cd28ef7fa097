"""The `nccl` backend: NVIDIA's NCCL through `cupy.cuda.nccl`, CuPy arrays on the GPUs.

Each rank drives the GPU given by its local rank. Rank 0 creates NCCL's unique id and hands it
to the others through the TCP store (or MPI under mpirun). Collectives are queued on CuPy's
current stream, so they run in order with the kernels around them. Pickled objects and the
barrier's host-side wait go through a CPU helper backend (tcp over the same store, or MPI).
"""

from . import Work

try:
    import cupy
    from cupy.cuda import nccl
except ImportError:  # raised when the backend is chosen
    cupy = nccl = None


def _nccl_dtype(arr):
    """NCCL's type code for `arr`; bool travels as uint8, bfloat16 as NCCL's bfloat16."""
    table = {"float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32,
             "float64": nccl.NCCL_FLOAT64, "int8": nccl.NCCL_INT8, "uint8": nccl.NCCL_UINT8,
             "bool": nccl.NCCL_UINT8, "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64}
    if hasattr(nccl, "NCCL_BFLOAT16"):
        table["bfloat16"] = nccl.NCCL_BFLOAT16
    name = str(arr.dtype)
    if name not in table:
        raise TypeError(f"ember.distributed (nccl): dtype {name} is not supported by NCCL")
    return table[name]


def _nccl_op(op):
    return {"sum": nccl.NCCL_SUM, "product": nccl.NCCL_PROD, "max": nccl.NCCL_MAX,
            "min": nccl.NCCL_MIN}[op]


def _stream():
    return cupy.cuda.get_current_stream().ptr


class NCCLBackend:
    def __init__(self, store, rank, world_size, device_id=None, host=None, unique_id=None):
        if nccl is None:
            raise RuntimeError("init_process_group(backend='nccl') needs CuPy built with NCCL "
                               "(`pip install cupy-cuda12x` and the nvidia-nccl-cu12 wheel)")
        from ..process_group import local_rank
        from .tcp import TCPBackend
        self.rank, self.world_size = rank, world_size
        index = local_rank() if device_id is None else getattr(device_id, "index", device_id)
        self.device = cupy.cuda.Device(index)
        self.device.use()
        self._host = host if host is not None else TCPBackend(store, rank, world_size)
        if unique_id is None:
            unique_id = self._host.broadcast_object(
                nccl.get_unique_id() if rank == 0 else None, 0)
        self.comm = self._call("init_process_group", nccl.NcclCommunicator, world_size,
                               unique_id, rank)

    @classmethod
    def over_mpi(cls, rank, world_size, device_id=None):
        """Under mpirun: the unique id and the object collectives go through MPI."""
        from .mpi import MPIBackend
        return cls(None, rank, world_size, device_id, host=MPIBackend())

    def _call(self, op, fn, *args):
        try:
            return fn(*args)
        except nccl.NcclError as e:
            raise RuntimeError(f"ember.distributed.{op} failed on rank {self.rank} of "
                               f"{self.world_size} (GPU {self.device.id}): {e}") from None

    def all_reduce(self, arr, op, async_op=False):
        ptr = arr.data.ptr
        self._call("all_reduce", self.comm.allReduce, ptr, ptr, arr.size, _nccl_dtype(arr),
                   _nccl_op(op), _stream())
        return Work()

    def broadcast(self, arr, src):
        ptr = arr.data.ptr
        self._call("broadcast", self.comm.broadcast, ptr, ptr, arr.size, _nccl_dtype(arr), src,
                   _stream())

    def all_gather(self, out, arr):
        self._call("all_gather", self.comm.allGather, arr.data.ptr, out.data.ptr, arr.size,
                   _nccl_dtype(arr), _stream())

    def reduce_scatter(self, out, stacked, op):
        self._call("reduce_scatter", self.comm.reduceScatter, stacked.data.ptr, out.data.ptr,
                   out.size, _nccl_dtype(out), _nccl_op(op), _stream())

    def gather(self, out, arr, dst):
        # NCCL has no gather: grouped sends to dst, which receives one slot per rank.
        dtype, stream = _nccl_dtype(arr), _stream()
        nccl.groupStart()
        try:
            if self.rank == dst:
                for r in range(self.world_size):
                    if r == dst:
                        out[r] = arr
                    else:
                        self.comm.recv(out[r].data.ptr, arr.size, dtype, r, stream)
            else:
                self.comm.send(arr.data.ptr, arr.size, dtype, dst, stream)
        finally:
            nccl.groupEnd()

    def scatter(self, out, stacked, src):
        dtype, stream = _nccl_dtype(out), _stream()
        nccl.groupStart()
        try:
            if self.rank == src:
                for r in range(self.world_size):
                    if r == src:
                        out[...] = stacked[r]
                    else:
                        self.comm.send(stacked[r].data.ptr, out.size, dtype, r, stream)
            else:
                self.comm.recv(out.data.ptr, out.size, dtype, src, stream)
        finally:
            nccl.groupEnd()

    def send(self, arr, dst, tag):
        self._call("send", self.comm.send, arr.data.ptr, arr.size, _nccl_dtype(arr), dst,
                   _stream())

    def recv(self, arr, src, tag):
        if src is None:
            raise RuntimeError("ember.distributed.recv: NCCL needs src (no receive from any "
                               "rank)")
        self._call("recv", self.comm.recv, arr.data.ptr, arr.size, _nccl_dtype(arr), src,
                   _stream())
        return src

    def isend(self, arr, dst, tag):
        self.send(arr, dst, tag)  # queued on the stream: the host does not wait
        return Work()

    def irecv(self, arr, src, tag):
        self.recv(arr, src, tag)
        return Work()

    def barrier(self):
        flag = cupy.zeros(1, dtype=cupy.float32)
        self.all_reduce(flag, "sum")
        cupy.cuda.get_current_stream().synchronize()

    def all_gather_object(self, obj):
        return self._host.all_gather_object(obj)

    def broadcast_object(self, obj, src):
        return self._host.broadcast_object(obj, src)

    def close(self):
        cupy.cuda.get_current_stream().synchronize()
        self._host.close()
        self.comm.destroy()
