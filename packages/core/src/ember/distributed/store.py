"""A small key-value store on TCP for rendezvous: rank 0 serves it, every rank is a client.

It carries NCCL's unique id, and all the traffic of the pure-Python `tcp` backend. Values are
bytes; `get` waits (up to the timeout) for a key that another rank has not set yet, so a rank
that died shows up as a clear timeout instead of a hang.
"""
import pickle
import socket
import struct
import threading
import time

_HEADER = struct.Struct("!Q")


def _send(sock, obj):
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock, n):
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("TCPStore: the connection was closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _recv(sock):
    (n,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    return pickle.loads(_recv_exact(sock, n))


class _Server:
    """The master's dictionary, one thread per client connection."""

    def __init__(self, host, port):
        self.data, self.cond = {}, threading.Condition()
        self.sock = socket.create_server((host, port), reuse_port=False)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            while True:
                try:
                    op, key, value = _recv(conn)
                except (ConnectionError, OSError, EOFError):
                    return
                _send(conn, self._handle(op, key, value))

    def _handle(self, op, key, value):
        with self.cond:
            if op == "set":
                self.data[key] = value
                self.cond.notify_all()
                return None
            if op == "get":  # value: seconds to wait
                if not self.cond.wait_for(lambda: key in self.data, timeout=value):
                    return ("timeout", None)
                return ("ok", self.data[key])
            if op == "add":
                self.data[key] = self.data.get(key, 0) + value
                self.cond.notify_all()
                return self.data[key]
            if op == "delete":
                for k in key:
                    self.data.pop(k, None)
                return None
            if op == "check":
                return all(k in self.data for k in key)
        raise ValueError(f"TCPStore: unknown request {op!r}")

    def close(self):
        self.sock.close()


class TCPStore:
    """`TCPStore(host, port, world_size, is_master, timeout)`: PyTorch's rendezvous store."""

    def __init__(self, host_name, port, world_size=None, is_master=False, timeout=300.0,
                 wait_for_workers=True):
        self.host, self.world_size = host_name, world_size
        self.timeout = timeout.total_seconds() if hasattr(timeout, "total_seconds") else timeout
        self._server = _Server(host_name, port) if is_master else None
        self.port = self._server.port if self._server is not None else port
        self._lock = threading.Lock()  # one request at a time on this client's socket
        self._sock = self._connect()

    def _connect(self):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=5)
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except OSError as e:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"TCPStore: could not reach the master at "
                                       f"{self.host}:{self.port} within {self.timeout:.0f} s "
                                       f"({e})") from None
                time.sleep(0.05)

    def _request(self, op, key, value=None):
        with self._lock:
            _send(self._sock, (op, key, value))
            return _recv(self._sock)

    def set(self, key, value):
        self._request("set", key, bytes(value) if not isinstance(value, str) else value.encode())

    def get(self, key):
        status, value = self._request("get", key, self.timeout)
        if status == "timeout":
            raise RuntimeError(f"TCPStore: timed out after {self.timeout:.0f} s waiting for key "
                               f"{key!r} (did another rank stop?)")
        return value

    def add(self, key, amount):
        return self._request("add", key, int(amount))

    def check(self, keys):
        return self._request("check", list(keys))

    def delete_key(self, key):
        self._request("delete", [key])

    def delete_keys(self, keys):
        self._request("delete", list(keys))

    def close(self):
        self._sock.close()
        if self._server is not None:
            self._server.close()
