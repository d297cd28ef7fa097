"""The one downloader of every dataset: fetch through `ember.hub`, verify, unpack safely.

`ember.hub.download_url_to_file` gives the progress bar, resumable `.partial` files, the atomic
rename and offline mode (`EMBER_OFFLINE=1`). Published dataset checksums are MD5 (32 hex digits)
or SHA-256 (64); they are checked here before a file takes its final name, so a file at its final
path is always a verified one. Archives are unpacked into a scratch folder first and moved into
place only when complete, so a failure never leaves a dataset that looks whole.
"""
import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile

from ember import hub

__all__ = ["calculate_checksum", "check_integrity", "download_and_extract_archive",
           "download_url", "extract_archive"]


def calculate_checksum(path, algorithm="md5", chunk_size=1 << 20):
    """The hex digest of the file at `path` (`algorithm`: any `hashlib` name)."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _algorithm(checksum):
    if len(checksum) == 32:
        return "md5"
    if len(checksum) == 64:
        return "sha256"
    raise ValueError(f"checksum {checksum!r} is neither MD5 (32 hex digits) nor SHA-256 (64)")


def check_integrity(path, checksum=None):
    """True when `path` is a file and, if `checksum` is given, its MD5 (32 hex digits) or
    SHA-256 (64) matches."""
    if not os.path.isfile(path):
        return False
    return checksum is None or calculate_checksum(path, _algorithm(checksum)) == checksum


def _download_one(url, dst, checksum):
    staging = dst + ".download"  # the hub writes `<staging>.partial`, resumed on a retry
    try:
        hub.download_url_to_file(url, staging, progress=True)
    except RuntimeError as e:
        raise RuntimeError(f"{e} (file {os.path.basename(dst)})") from None
    if checksum is not None:
        algorithm = _algorithm(checksum)
        got = calculate_checksum(staging, algorithm)
        if got != checksum:
            os.remove(staging)
            raise RuntimeError(f"the file {os.path.basename(dst)} downloaded from {url} is "
                               f"corrupt ({algorithm.upper()} hash {got}, expected {checksum}); "
                               "it was deleted")
    os.replace(staging, dst)


def download_url(url, root, filename=None, checksum=None, mirrors=()):
    """Download `url` into `root/filename` (default: the URL's file name) unless a verified copy
    is there; return its path.

    `mirrors` are tried in order before `url`: a mirror ending in "/" is a base URL the file name
    is appended to. The error after every source failed names each URL and the file. In offline
    mode a missing or corrupt file is an error naming it and its URL.
    """
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(urllib.parse.urlparse(url).path)
    dst = os.path.join(root, filename)
    if check_integrity(dst, checksum):
        return dst
    by_hand = (f"download it from {url}" + (f" (checksum {checksum})" if checksum else "")
               + f" and place it in {root}")
    if hub._offline():
        raise RuntimeError(f"offline mode (EMBER_OFFLINE=1): {dst} is missing or corrupt; "
                           f"{by_hand}, or unset EMBER_OFFLINE")
    os.makedirs(root, exist_ok=True)
    sources = [m + filename if m.endswith("/") else m for m in mirrors]
    sources += [url] if url not in sources else []
    errors = []
    for source in sources:
        try:
            _download_one(source, dst, checksum)
            return dst
        except RuntimeError as e:
            errors.append(str(e))
    raise RuntimeError(f"could not download {filename} into {root} ({by_hand} yourself):\n  "
                       + "\n  ".join(errors))


def _inside(root, name):
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, name))
    if os.path.isabs(name) or os.path.commonpath([base, target]) != base:
        raise RuntimeError(f"refusing to extract {name!r}: it would land outside {root}")
    return target


def _unpack(path, to):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                _inside(to, name)
            archive.extractall(to)
    elif tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            members = archive.getmembers()
            for m in members:
                _inside(to, m.name)
                if not (m.isfile() or m.isdir()):
                    raise RuntimeError(f"refusing to extract {m.name!r} from {path}: "
                                       "not a plain file or folder (links and devices are "
                                       "refused)")
            archive.extractall(to, members=members, filter="data")
    elif path.endswith(".gz"):
        name = os.path.basename(path)[:-3]
        with gzip.open(path, "rb") as src, open(_inside(to, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        raise RuntimeError(f"extract_archive: {path} is not a zip, tar or gzip file")


def _merge(src, dst):
    # Folders merge (archives of one dataset may share a top folder, e.g. LibriSpeech subsets
    # all unpack into `LibriSpeech/`); files replace.
    if os.path.isdir(src) and os.path.isdir(dst) and not os.path.islink(dst):
        for name in os.listdir(src):
            _merge(os.path.join(src, name), os.path.join(dst, name))
    else:
        os.replace(src, dst)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Unpack a .zip, .tar(.gz/.tgz/.bz2/.xz) or .gz file into `to_path` (default: beside it).

    Members whose path escapes `to_path`, links and devices are refused. Everything is unpacked
    into a scratch folder inside `to_path` and then moved into place (folders merging with
    existing ones), so a failure leaves nothing behind. Returns `to_path`.
    """
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    os.makedirs(to_path, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=".extract-", dir=to_path)
    try:
        try:
            _unpack(from_path, scratch)
        except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as e:
            raise RuntimeError(f"extract_archive: {from_path} is damaged ({e})") from None
        for name in os.listdir(scratch):
            _merge(os.path.join(scratch, name), os.path.join(to_path, name))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url, download_root, extract_root=None, filename=None,
                                 checksum=None, mirrors=(), remove_finished=False):
    """`download_url` then `extract_archive` into `extract_root` (default `download_root`);
    returns the folder unpacked into."""
    path = download_url(url, download_root, filename, checksum, mirrors)
    return extract_archive(path, extract_root or os.path.dirname(path), remove_finished)
