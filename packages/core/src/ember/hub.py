"""Download weights once into a cache: resumable, verified, with mirrors and an offline mode.

Cache: `get_dir()` is `$EMBER_HOME/hub` (`$EMBER_HOME` defaults to `$XDG_CACHE_HOME/ember` or
`~/.cache/ember`); checkpoints go to `get_dir()/checkpoints`. `EMBER_OFFLINE=1` makes every
function here work from the cache only and never open a network connection.
"""
import hashlib
import http.client
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["download_url_to_file", "get_dir", "load_state_dict_from_url", "set_dir"]

# PyTorch's convention: `name-<first hex digits of the SHA-256>.ext`.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_CHUNK = 1 << 17
_hub_dir = None


def _ember_home():
    default = os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "ember")
    return os.path.expanduser(os.environ.get("EMBER_HOME", default))


def get_dir():
    """The hub cache directory (`set_dir` overrides `$EMBER_HOME/hub`)."""
    return _hub_dir if _hub_dir is not None else os.path.join(_ember_home(), "hub")


def set_dir(d):
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def _offline():
    return os.environ.get("EMBER_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


class _Progress:
    """A tqdm-style bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total, initial, label, enabled):
        self.total, self.done, self.label = total, initial, label
        self.enabled = enabled and sys.stderr.isatty()
        self.start, self.last = time.monotonic(), 0.0

    def update(self, n):
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self.last > 0.1:
            self.last = now
            self._draw(now)

    def _draw(self, now):
        rate = self.done / max(now - self.start, 1e-6)
        if self.total:
            frac = min(self.done / self.total, 1.0)
            bar = "█" * int(frac * 30)
            text = (f"{self.label}: {frac:4.0%}|{bar:<30}| {_human(self.done)}/"
                    f"{_human(self.total)} [{_human(rate)}/s]")
        else:
            text = f"{self.label}: {_human(self.done)} [{_human(rate)}/s]"
        sys.stderr.write("\r" + text)
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            self._draw(time.monotonic())
            sys.stderr.write("\n")


def _human(n):
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.1f}{unit}"
        n /= 1000
    return f"{n:.1f}TB"


def _open(url, start):
    headers = {"User-Agent": "ember-hub"}
    if start:
        headers["Range"] = f"bytes={start}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60)
    except urllib.error.HTTPError as e:
        if e.code == 416 and start:  # nothing left past `start`: the partial file is whole
            return None
        raise RuntimeError(f"ember.hub: downloading {url} failed: HTTP {e.code} "
                           f"{e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise RuntimeError(f"ember.hub: could not download {url}: {reason}") from None


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download `url` (http, https or file) to the path `dst`.

    Bytes go to `<dst>.partial` first; a later call resumes it with an HTTP Range request. When
    `hash_prefix` is given the SHA-256 of the whole file must start with it, else the partial file
    is deleted and a RuntimeError raised. `dst` appears only when complete (atomic rename).
    """
    dst = os.path.expanduser(os.fspath(dst))
    if _offline() and urllib.parse.urlparse(url).scheme != "file":
        raise RuntimeError(f"ember.hub: offline mode (EMBER_OFFLINE=1) forbids downloading "
                           f"{url} to {dst}")
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    partial = dst + ".partial"
    start = os.path.getsize(partial) if os.path.exists(partial) else 0
    sha256 = hashlib.sha256()
    response = _open(url, start)
    if response is not None:
        with response:
            status = getattr(response, "status", None) or 200
            if status != 206:  # the server sent the whole file: start over
                start = 0
            length = response.headers.get("Content-Length")
            total = start + int(length) if length is not None else None
            if start:
                with open(partial, "rb") as f:
                    for chunk in iter(lambda: f.read(_CHUNK), b""):
                        sha256.update(chunk)
            bar = _Progress(total, start, os.path.basename(dst), progress)
            try:
                with open(partial, "ab" if start else "wb") as f:
                    while chunk := response.read(_CHUNK):
                        f.write(chunk)
                        sha256.update(chunk)
                        bar.update(len(chunk))
            except (http.client.HTTPException, OSError) as e:
                raise RuntimeError(f"ember.hub: the download of {url} was interrupted after "
                                   f"{bar.done} bytes ({e!r}); {partial} is kept and the next "
                                   "call resumes it") from None
            finally:
                bar.close()
            if total is not None and bar.done < total:
                raise RuntimeError(f"ember.hub: the download of {url} stopped at {bar.done} of "
                                   f"{total} bytes; {partial} is kept and the next call "
                                   "resumes it")
    else:
        with open(partial, "rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                sha256.update(chunk)
    if hash_prefix is not None:
        digest = sha256.hexdigest()
        if not digest.startswith(hash_prefix):
            os.remove(partial)
            raise RuntimeError(f'ember.hub: invalid hash value for {url} (expected '
                               f'"{hash_prefix}", got "{digest}"); the file was deleted')
    os.replace(partial, dst)


def _candidates(url, mirrors, filename):
    # A mirror ending in "/" is a base directory: the file name is appended.
    out = [url]
    for m in mirrors or ():
        out.append(m + filename if m.endswith("/") else m)
    return out


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=True, mirrors=None):
    """`ember.load` a checkpoint from `url`, downloading it into the cache on first use.

    The cached file is `model_dir/<file_name or the URL's file name>` (default model_dir
    `get_dir()/checkpoints`). `check_hash=True` verifies the SHA-256 prefix in the file name
    (`name-<hex>.ext`). `mirrors` are tried in order when the URL fails.
    """
    model_dir = os.path.expanduser(os.fspath(model_dir)) if model_dir is not None else \
        os.path.join(get_dir(), "checkpoints")
    filename = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        if _offline():
            raise RuntimeError(f"ember.hub: offline mode (EMBER_OFFLINE=1) and {cached} is not "
                               f"in the cache; without offline mode it is downloaded from {url}")
        match = HASH_REGEX.search(filename) if check_hash else None
        hash_prefix = match.group(1) if match else None
        errors = []
        for source in _candidates(url, mirrors, filename):
            try:
                download_url_to_file(source, cached, hash_prefix, progress)
                break
            except RuntimeError as e:
                errors.append(str(e))
        else:
            raise RuntimeError(f"ember.hub: could not download {filename}:\n  "
                               + "\n  ".join(errors))
    from .serialization import load
    return load(cached, map_location=map_location, weights_only=weights_only)
