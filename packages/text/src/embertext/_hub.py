"""Find a file of a Hugging Face style repository: in a local directory, or fetched once from
`{endpoint}/{repo_id}/resolve/{revision}/{filename}` into ember's hub cache.

Shared by the tokenizers and (later) the models' `from_pretrained`. The endpoint defaults to
https://huggingface.co and `$EMBER_HF_ENDPOINT` overrides it (a mirror, or a test server).
"""
import os
import urllib.parse

from ember import hub

__all__ = ["cached_file", "hf_url"]


def hf_url(repo_id, filename, revision="main"):
    endpoint = os.environ.get("EMBER_HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    return f"{endpoint}/{repo_id}/resolve/{urllib.parse.quote(revision, safe='')}/{filename}"


def _cache_path(repo_id, filename, revision):
    return os.path.join(hub.get_dir(), "huggingface", repo_id.replace("/", "--"), revision,
                        filename)


def cached_file(path_or_repo_id, filename, revision="main", required=True):
    """The local path of `filename`, or None when it does not exist and `required` is False.

    A directory is used as it is (never the network). Anything else is a repo id: the file is
    taken from the cache, else downloaded (unless `EMBER_OFFLINE=1`).
    """
    path_or_repo_id = os.fspath(path_or_repo_id)
    if os.path.isdir(path_or_repo_id):
        path = os.path.join(path_or_repo_id, filename)
        if os.path.isfile(path):
            return path
        if required:
            raise FileNotFoundError(f"{path_or_repo_id} has no file named {filename}")
        return None
    cached = _cache_path(path_or_repo_id, filename, revision)
    if os.path.isfile(cached):
        return cached
    url = hf_url(path_or_repo_id, filename, revision)
    try:
        hub.download_url_to_file(url, cached, progress=False)
    except RuntimeError as e:
        # A missing optional file is normal (not every repository has every file); any other
        # failure (offline mode, network) for an optional file also just means "not available".
        if required:
            raise OSError(f"{path_or_repo_id!r} is neither a local directory nor a repository "
                          f"whose {filename} could be fetched: {e}") from None
        return None
    return cached
