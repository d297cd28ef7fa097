"""`ember.distributed`: process groups and collectives for data-parallel training.

Backends: "mpi" (mpi4py, CPU), "nccl" (CuPy's NCCL, GPU) and "tcp" (pure Python, CPU, no MPI).
Start N processes with `mpirun -n N python train.py` or `python -m ember.distributed.run -n N
train.py`, then call `init_process_group()` in each.
"""
from .backends import Work
from .collectives import (ReduceOp, all_gather, all_gather_into_tensor, all_gather_object,
                          all_reduce, broadcast, broadcast_object_list, gather, irecv, isend,
                          recv, reduce_scatter, reduce_scatter_tensor, scatter, send)
from .process_group import (barrier, destroy_process_group, get_backend, get_rank,
                            get_world_size, init_process_group, is_available, is_initialized,
                            is_mpi_available, is_nccl_available)
from .store import TCPStore

__all__ = ["ReduceOp", "TCPStore", "Work", "all_gather", "all_gather_into_tensor",
           "all_gather_object", "all_reduce", "barrier", "broadcast", "broadcast_object_list",
           "destroy_process_group", "gather", "get_backend", "get_rank", "get_world_size",
           "init_process_group", "irecv", "is_available", "is_initialized", "is_mpi_available",
           "is_nccl_available", "isend", "recv", "reduce_scatter", "reduce_scatter_tensor",
           "scatter", "send"]
