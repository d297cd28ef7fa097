"""Fetch a dataset file into its root once (verified), and unpack archives safely."""
import gzip
import hashlib
import os
import shutil
import tarfile
import urllib.parse
import zipfile

from ember import hub

__all__ = ["extract_archive", "fetch"]


def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url, dst, checksum):
    # The hub verifies SHA-256 while downloading; the older datasets publish MD5 (32 hex
    # digits), checked here afterwards.
    sha256 = checksum if checksum and len(checksum) == 64 else None
    hub.download_url_to_file(url, dst, hash_prefix=sha256, progress=True)
    if checksum and len(checksum) == 32 and _md5(dst) != checksum:
        os.remove(dst)
        raise RuntimeError(f"invalid MD5 for {url} (expected {checksum}); the file was deleted")


def fetch(url, checksum, directory, filename=None, mirrors=()):
    """The path of `filename` (default: the URL's file name) in `directory`, downloaded from
    the `mirrors` (base URLs, tried first) or `url` unless it is already there."""
    filename = filename or os.path.basename(urllib.parse.urlparse(url).path)
    dst = os.path.join(directory, filename)
    if os.path.isfile(dst):
        return dst
    sources = [m if not m.endswith("/") else m + filename for m in mirrors] + [url]
    errors = []
    for source in sources:
        try:
            _download(source, dst, checksum)
            return dst
        except RuntimeError as e:
            errors.append(str(e))
    raise RuntimeError(f"could not get {filename}; download it from {url} (checksum "
                       f"{checksum}) and place it in {directory}. Errors:\n  "
                       + "\n  ".join(errors))


def _inside(root, name):
    target = os.path.realpath(os.path.join(root, name))
    base = os.path.realpath(root)
    if os.path.isabs(name) or os.path.commonpath([base, target]) != base:
        raise RuntimeError(f"refusing to extract {name!r}: it would land outside {root}")
    return target


def extract_archive(path, to):
    """Unpack a .tar(.gz|.bz2|.xz)/.tgz, .zip or .gz file into `to`, refusing any member whose
    path (or link) escapes `to`. Returns the extracted member names."""
    os.makedirs(to, exist_ok=True)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            for name in names:
                _inside(to, name)
            archive.extractall(to)
        return names
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            members = archive.getmembers()
            for m in members:
                _inside(to, m.name)
                if m.issym() or m.islnk():
                    link_base = os.path.dirname(m.name) if m.issym() else ""
                    _inside(to, os.path.join(link_base, m.linkname))
                elif not (m.isfile() or m.isdir()):
                    raise RuntimeError(f"refusing to extract {m.name!r}: not a file or folder")
            archive.extractall(to, members=members, filter="data")
        return [m.name for m in members]
    if path.endswith(".gz"):
        name = os.path.basename(path)[:-3]
        with gzip.open(path, "rb") as src, open(_inside(to, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
        return [name]
    raise RuntimeError(f"extract_archive: {path} is not a zip, tar or gzip file")
