"""Launcher: `python -m ember.distributed.run -n N [--backend tcp|mpi|nccl] train.py args...`.

With the `tcp` or `nccl` backend it starts N local processes itself, with `RANK`, `WORLD_SIZE`,
`LOCAL_RANK`, `LOCAL_WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT` and `EMBER_DISTRIBUTED_BACKEND`
set, and watches them: when one fails, the others are stopped and the launcher exits with that
rank's code and a message naming it. For several machines run it on each with `--nnodes`,
`--node-rank` and the first machine's `--master-addr`/`--master-port`. With `--backend mpi` it
hands over to `mpirun -n N` (add its options with `--mpirun-args`).
"""
import argparse
import os
import shlex
import signal
import socket
import subprocess
import sys
import time


def _free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _parse(argv):
    parser = argparse.ArgumentParser(prog="python -m ember.distributed.run",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--nproc-per-node", "--nproc_per_node", type=int, default=1,
                        dest="nproc", help="processes on this machine")
    parser.add_argument("--nnodes", type=int, default=1)
    parser.add_argument("--node-rank", "--node_rank", type=int, default=0, dest="node_rank")
    parser.add_argument("--master-addr", "--master_addr", default="127.0.0.1",
                        dest="master_addr")
    parser.add_argument("--master-port", "--master_port", type=int, default=None,
                        dest="master_port")
    parser.add_argument("--backend", choices=("tcp", "mpi", "nccl"), default="tcp")
    parser.add_argument("--mpirun-args", default="", dest="mpirun_args",
                        help="extra mpirun options, e.g. '--hostfile hosts --oversubscribe'")
    parser.add_argument("script")
    parser.add_argument("script_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.nproc < 1 or args.nnodes < 1 or not 0 <= args.node_rank < args.nnodes:
        parser.error("need -n >= 1, --nnodes >= 1 and 0 <= --node-rank < --nnodes")
    return args


def _exec_mpirun(args):
    command = ["mpirun", "-n", str(args.nproc * args.nnodes), *shlex.split(args.mpirun_args),
               "-x", "EMBER_DISTRIBUTED_BACKEND=mpi", sys.executable, args.script,
               *args.script_args]
    try:
        os.execvp(command[0], command)
    except FileNotFoundError:
        sys.exit("ember.distributed.run: --backend mpi needs `mpirun` on PATH (Open MPI: "
                 "apt-get install openmpi-bin)")


def _stop(processes):
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 5
    for p in processes:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def launch(args):
    """Start the local ranks and wait; returns the exit code for the launcher."""
    world = args.nproc * args.nnodes
    port = args.master_port or _free_port(args.master_addr)
    processes = []
    for local in range(args.nproc):
        env = dict(os.environ, RANK=str(args.node_rank * args.nproc + local),
                   WORLD_SIZE=str(world), LOCAL_RANK=str(local),
                   LOCAL_WORLD_SIZE=str(args.nproc), MASTER_ADDR=args.master_addr,
                   MASTER_PORT=str(port), EMBER_DISTRIBUTED_BACKEND=args.backend)
        processes.append(subprocess.Popen([sys.executable, args.script, *args.script_args],
                                          env=env))
    try:
        while True:
            codes = [p.poll() for p in processes]
            failed = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
            if failed:
                local, code = failed[0]
                rank = args.node_rank * args.nproc + local
                print(f"ember.distributed.run: rank {rank} (pid {processes[local].pid}) exited "
                      f"with code {code}; stopping the other ranks", file=sys.stderr)
                _stop(processes)
                return code if code > 0 else 1
            if all(c == 0 for c in codes):
                return 0
            time.sleep(0.05)
    except KeyboardInterrupt:
        _stop(processes)
        return 130


def main(argv=None):
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.backend == "mpi":
        _exec_mpirun(args)
    sys.exit(launch(args))


if __name__ == "__main__":
    main()
