"""The one downloader of the datasets: fetch through `ember.hub`, verify MD5, unpack safely.

`ember.hub.download_url_to_file` gives the progress bar, resumable `.partial` files, the atomic
rename and offline mode (`EMBER_OFFLINE=1`). The published dataset checksums are MD5, checked
here before the file takes its final name, so a file at its final path is always a verified one.
Archives are unpacked into a scratch folder first and moved into place only when complete.
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

__all__ = ["calculate_md5", "check_integrity", "download_and_extract_archive", "download_url",
           "extract_archive", "fetch_resources"]


def calculate_md5(path, chunk_size=1 << 20, algorithm="md5"):
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_integrity(path, md5=None):
    """True when `path` is a file and, if `md5` is given, its checksum matches (32 hex digits:
    MD5, 64: SHA-256)."""
    if not os.path.isfile(path):
        return False
    return md5 is None or calculate_md5(path, algorithm=_algorithm(md5)) == md5


def _algorithm(checksum):
    return "sha256" if len(checksum) == 64 else "md5"


def _download_one(url, dst, md5):
    staging = dst + ".download"  # the hub writes `<staging>.partial`, resumed on a retry
    try:
        hub.download_url_to_file(url, staging, progress=True)
    except RuntimeError as e:
        raise RuntimeError(f"{e} (file {os.path.basename(dst)})") from None
    if md5 is not None:
        algorithm = _algorithm(md5)
        got = calculate_md5(staging, algorithm=algorithm)
        if got != md5:
            os.remove(staging)
            raise RuntimeError(f"the file {os.path.basename(dst)} downloaded from {url} is "
                               f"corrupt ({algorithm.upper()} {got}, expected {md5}); it was "
                               "deleted")
    os.replace(staging, dst)


def download_url(url, root, filename=None, md5=None, mirrors=()):
    """Download `url` into `root/filename` unless a verified copy is there; return its path.

    `mirrors` are tried in order before `url`: a mirror ending in "/" is a base URL the file
    name is appended to. The error after every source failed names each URL and the file.
    """
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(urllib.parse.urlparse(url).path)
    dst = os.path.join(root, filename)
    if check_integrity(dst, md5):
        return dst
    if hub._offline():
        raise RuntimeError(f"offline mode (EMBER_OFFLINE=1): {dst} is missing or corrupt; "
                           f"without offline mode it is downloaded from {url}")
    os.makedirs(root, exist_ok=True)
    sources = [m + filename if m.endswith("/") else m for m in mirrors]
    sources += [url] if url not in sources else []
    errors = []
    for source in sources:
        try:
            _download_one(source, dst, md5)
            return dst
        except RuntimeError as e:
            errors.append(str(e))
    raise RuntimeError(f"could not download {filename} into {root}:\n  " + "\n  ".join(errors))


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
                                       "not a plain file or folder")
            archive.extractall(to, members=members, filter="data")
    elif path.endswith(".gz"):
        name = os.path.basename(path)[:-3]
        with gzip.open(path, "rb") as src, open(_inside(to, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        raise RuntimeError(f"extract_archive: {path} is not a zip, tar or gzip file")


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Unpack a .zip, .tar(.gz/.bz2/.xz) or .gz file into `to_path` (default: beside it).

    Members whose path escapes `to_path`, links and devices are refused. Everything is unpacked
    into a scratch folder and then moved into place, so a failure leaves nothing behind.
    Returns `to_path`.
    """
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    os.makedirs(to_path, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=".extract-", dir=to_path)
    try:
        try:
            _unpack(from_path, scratch)
        except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as e:
            raise RuntimeError(f"extract_archive: {from_path} is damaged ({e})") from None
        for name in os.listdir(scratch):
            dst = os.path.join(to_path, name)
            if os.path.isdir(dst) and not os.path.islink(dst):
                shutil.rmtree(dst)
            os.replace(os.path.join(scratch, name), dst)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url, download_root, extract_root=None, filename=None,
                                 md5=None, mirrors=(), remove_finished=False):
    path = download_url(url, download_root, filename, md5, mirrors)
    return extract_archive(path, extract_root or download_root, remove_finished)


def fetch_resources(mirrors, resources, folder, extract=True):
    """Download each `(file, md5)` of `resources` from the first working mirror into `folder`,
    then unpack the archives there. A resource given as a full URL uses that URL.

    Everything is downloaded and verified before anything is unpacked, so a failure leaves only
    verified archives (reused by the next call) and resumable partial files, never a dataset
    that looks complete but is not.
    """
    paths = []
    for name, md5 in resources:
        parsed = urllib.parse.urlparse(name)
        if parsed.scheme:
            paths.append(download_url(name, folder, os.path.basename(parsed.path), md5))
        else:
            paths.append(download_url(mirrors[0] + name, folder, name, md5, mirrors))
    if extract:
        for path in paths:
            if path.endswith((".gz", ".tgz", ".zip", ".tar")):
                extract_archive(path, folder)
