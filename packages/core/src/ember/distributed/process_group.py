"""The default process group: which backend carries the collectives, this process's rank and
the world size, read from the launcher's environment.

Launchers and what they set:
- `mpirun -n N` (Open MPI): `OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK`; the `mpi` backend asks MPI.
- `python -m ember.distributed.run -n N` (or torchrun-style launchers): `RANK`, `WORLD_SIZE`,
  `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT`; the `tcp` and `nccl` backends meet at the master's
  TCP store.
"""
import os
from datetime import timedelta

_DEFAULT_TIMEOUT = timedelta(minutes=30)


class _State:
    backend = None  # the backend object; None until init_process_group
    name = None


_state = _State()


def is_available():
    """Distributed training is always built in; each backend checks its own library."""
    return True


def is_mpi_available():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available():
    try:
        from cupy.cuda import nccl  # noqa: F401
    except ImportError:
        return False
    return True


def is_initialized():
    return _state.backend is not None


def _env_int(*names):
    for name in names:
        if os.environ.get(name, "") != "":
            return int(os.environ[name])
    return None


def _under_mpirun():
    return any(k in os.environ for k in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"))


def _default_backend():
    chosen = os.environ.get("EMBER_DISTRIBUTED_BACKEND")
    if chosen:
        return chosen
    return "mpi" if _under_mpirun() else "tcp"


def _parse_init_method(init_method):
    """(host, port) from `tcp://host:port`; None for `env://` or no init_method."""
    if init_method is None or init_method == "env://":
        return None
    if not init_method.startswith("tcp://"):
        raise ValueError(f"init_process_group: init_method must be 'env://' or "
                         f"'tcp://host:port', got {init_method!r}")
    host, _, port = init_method[len("tcp://"):].rpartition(":")
    return host, int(port)


def _rank_and_size(rank, world_size):
    if rank < 0:
        rank = _env_int("RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK")
    if world_size < 0:
        world_size = _env_int("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE")
    if rank is None or world_size is None:
        raise ValueError("init_process_group: rank and world_size are unknown; pass them, or "
                         "start the script with `python -m ember.distributed.run -n N` "
                         "(sets RANK/WORLD_SIZE) or `mpirun -n N`")
    if not 0 <= rank < world_size:
        raise ValueError(f"init_process_group: rank {rank} is outside [0, {world_size})")
    return rank, world_size


def local_rank():
    """This process's index among the ranks on its machine (picks its GPU)."""
    value = _env_int("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID")
    return 0 if value is None else value


def _store_for(rank, world_size, init_method, timeout):
    from .store import TCPStore
    address = _parse_init_method(init_method)
    if address is None:
        host = os.environ.get("MASTER_ADDR")
        port = _env_int("MASTER_PORT")
        if host is None or port is None:
            raise ValueError("init_process_group: MASTER_ADDR and MASTER_PORT must be set (or "
                             "pass init_method='tcp://host:port') to meet the other ranks")
        address = (host, port)
    return TCPStore(address[0], address[1], world_size, is_master=rank == 0, timeout=timeout)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the other ranks. backend: "mpi" (mpi4py, CPU tensors), "nccl" (CuPy's NCCL, GPU
    tensors) or "tcp" (pure Python over a TCP store, CPU tensors, no MPI needed); None picks
    $EMBER_DISTRIBUTED_BACKEND, else "mpi" under mpirun, else "tcp"."""
    if is_initialized():
        raise RuntimeError("trying to initialize the default process group twice!")
    backend = (backend or _default_backend()).lower()
    seconds = (timeout or _DEFAULT_TIMEOUT).total_seconds()
    if backend == "mpi":
        from .backends.mpi import MPIBackend
        impl = MPIBackend()
        if world_size not in (-1, impl.world_size) or rank not in (-1, impl.rank):
            raise ValueError(f"init_process_group(backend='mpi'): MPI says rank {impl.rank} of "
                             f"{impl.world_size}, but rank={rank}, world_size={world_size} "
                             "were given")
    elif backend in ("tcp", "gloo"):
        from .backends.tcp import TCPBackend
        rank, world_size = _rank_and_size(rank, world_size)
        store = store or _store_for(rank, world_size, init_method, seconds)
        impl = TCPBackend(store, rank, world_size)
    elif backend == "nccl":
        from .backends.nccl import NCCLBackend
        rank, world_size = _rank_and_size(rank, world_size)
        if store is None and init_method is None and _under_mpirun() and is_mpi_available():
            impl = NCCLBackend.over_mpi(rank, world_size, device_id)
        else:
            store = store or _store_for(rank, world_size, init_method, seconds)
            impl = NCCLBackend(store, rank, world_size, device_id)
    else:
        raise ValueError(f"init_process_group: unknown backend {backend!r}; expected 'mpi', "
                         "'nccl' or 'tcp'")
    _state.backend, _state.name = impl, backend


def _backend(op):
    if _state.backend is None:
        raise RuntimeError(f"ember.distributed.{op}: the default process group has not been "
                           "initialized; call ember.distributed.init_process_group first")
    return _state.backend


def get_backend(group=None):
    _backend("get_backend")
    return _state.name


def get_rank(group=None):
    """This process's rank (-1 outside a process group, as PyTorch)."""
    return _state.backend.rank if _state.backend is not None else -1


def get_world_size(group=None):
    return _state.backend.world_size if _state.backend is not None else -1


def barrier(group=None, async_op=False, device_ids=None):
    _backend("barrier").barrier()


def destroy_process_group(group=None):
    """Leave the group: waits for the others (so rank 0's store outlives their last calls)."""
    impl = _backend("destroy_process_group")
    try:
        impl.close()
    finally:
        _state.backend, _state.name = None, None
