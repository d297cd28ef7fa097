"""The one downloader of the audio datasets: fetch through `ember.hub`, verify, unpack safely.

`ember.hub.download_url_to_file` gives the progress bar, resumable `.partial` files, the atomic
rename and offline mode (`EMBER_OFFLINE=1`); it also checks a SHA-256 checksum (64 hex digits)
while downloading. Older datasets publish MD5 (32 hex digits), checked here afterwards. Archives
are unpacked into a scratch folder and moved into place only when complete, so a failure never
leaves a dataset that looks whole.
"""
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile

from ember import hub

__all__ = ["download", "extract_archive", "fetch_archive"]


def _md5(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download_one(url, dst, checksum):
    sha256 = checksum if checksum and len(checksum) == 64 else None
    hub.download_url_to_file(url, dst, hash_prefix=sha256, progress=True)
    if checksum and len(checksum) == 32 and _md5(dst) != checksum:
        os.remove(dst)
        raise RuntimeError(f"invalid MD5 for {url} (expected {checksum}); the file was deleted")


def download(url, root, checksum=None, filename=None, mirrors=()):
    """The path of `root/filename` (default: the URL's file name), downloaded unless present.

    `mirrors` are tried in order before `url`; a mirror ending in "/" is a base URL the file name
    is appended to. In offline mode a missing file is an error that names it and its URL.
    """
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(urllib.parse.urlparse(url).path)
    dst = os.path.join(root, filename)
    if os.path.isfile(dst):
        return dst
    if hub._offline():
        raise RuntimeError(f"offline mode (EMBER_OFFLINE=1): {dst} is missing; without offline "
                           f"mode it is downloaded from {url}")
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
    else:
        raise RuntimeError(f"extract_archive: {path} is not a zip or tar file")


def extract_archive(from_path, to_path=None):
    """Unpack a .zip or .tar(.gz/.bz2/.xz) into `to_path` (default: beside it); return to_path.

    Members whose path escapes `to_path`, links and devices are refused, and nothing is moved
    into `to_path` unless the whole archive unpacked.
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
            _merge(os.path.join(scratch, name), os.path.join(to_path, name))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return to_path


def _merge(src, dst):
    # Folders merge (LibriSpeech subsets share the top `LibriSpeech/` folder); files replace.
    if os.path.isdir(src) and os.path.isdir(dst) and not os.path.islink(dst):
        for name in os.listdir(src):
            _merge(os.path.join(src, name), os.path.join(dst, name))
    else:
        os.replace(src, dst)


def fetch_archive(url, root, checksums, mirrors=(), extract_to=None):
    """Download the archive at `url` into `root` (checksum looked up in the dataset's
    `checksums` table by URL) and unpack it into `extract_to` (default `root`)."""
    path = download(url, root, checksums.get(url), mirrors=mirrors)
    return extract_archive(path, extract_to or os.path.expanduser(os.fspath(root)))
