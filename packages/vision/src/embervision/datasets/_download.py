"""Fetch a vision dataset's `resources` table through the one downloader, `ember.utils.download`.

The torchvision convention: a dataset class declares `mirrors` (base URLs) and `resources`
(`(file, md5)` pairs, or a full URL in place of the file name) as data.
"""
import os
import urllib.parse

from ember.utils.download import download_url, extract_archive

__all__ = ["fetch_resources"]


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
