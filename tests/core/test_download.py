"""ember.utils.download, the datasets' one downloader, against a local HTTP server on 127.0.0.1."""
import gzip
import hashlib
import io
import os
import pathlib
import tarfile
import zipfile

import pytest
from local_http_server import serve

from ember.utils.download import (calculate_checksum, check_integrity,
                                  download_and_extract_archive, download_url, extract_archive)

PAYLOAD = b"payload"
MD5 = hashlib.md5(PAYLOAD).hexdigest()
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)  # the tests that want it set it
    with serve() as s:
        yield s


def pack(files, mode="w:gz"):
    """The bytes of an archive holding `files` ({name: bytes}): a zip for mode "zip", else a
    tar written with `tarfile`'s `mode`."""
    buffer = io.BytesIO()
    if mode == "zip":
        with zipfile.ZipFile(buffer, "w") as z:
            for name, data in files.items():
                z.writestr(name, data)
        return buffer.getvalue()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_checksums(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(PAYLOAD)
    assert calculate_checksum(path) == MD5 and calculate_checksum(path, "sha256") == SHA256
    assert check_integrity(path) and check_integrity(path, MD5) and check_integrity(path, SHA256)
    assert not check_integrity(path, "0" * 32) and not check_integrity(tmp_path / "missing")
    with pytest.raises(ValueError, match="neither MD5"):
        check_integrity(path, "abc")


@pytest.mark.parametrize("checksum", [MD5, SHA256, None])
def test_download_verifies_then_reuses(server, tmp_path, checksum):
    server.files["/d/f.bin"] = PAYLOAD
    path = download_url(server.url("/d/f.bin"), tmp_path, checksum=checksum)
    assert path == os.path.join(tmp_path, "f.bin") and pathlib.Path(path).read_bytes() == PAYLOAD
    assert download_url(server.url("/d/f.bin"), tmp_path, checksum=checksum) == path
    assert server.requests == ["/d/f.bin"]  # the verified copy is reused
    assert os.listdir(tmp_path) == ["f.bin"]


@pytest.mark.parametrize("checksum, algorithm", [("0" * 32, "MD5"), ("0" * 64, "SHA256")])
def test_corrupt_download_is_deleted_and_named(server, tmp_path, checksum, algorithm):
    server.files["/f.bin"] = PAYLOAD
    url = server.url("/f.bin")
    with pytest.raises(RuntimeError, match=f"{algorithm} hash") as info:
        download_url(url, tmp_path, "g.bin", checksum)
    assert "g.bin" in str(info.value) and url in str(info.value)
    assert os.listdir(tmp_path) == []  # neither the final name nor a staging/partial file


def test_mirrors_in_order_then_url(server, tmp_path):
    server.files["/second/f.bin"] = PAYLOAD
    url = server.url("/gone/f.bin")
    path = download_url(url, tmp_path, checksum=SHA256,
                        mirrors=[server.url("/first/"), server.url("/second/")])
    assert pathlib.Path(path).read_bytes() == PAYLOAD
    assert server.requests == ["/first/f.bin", "/second/f.bin"]


def test_every_source_failed_names_urls_and_file(server, tmp_path):
    url = server.url("/gone/f.bin")
    with pytest.raises(RuntimeError, match="HTTP 404") as info:
        download_url(url, tmp_path, mirrors=[server.url("/m/")])
    message = str(info.value)
    assert "f.bin" in message and url in message and server.url("/m/f.bin") in message
    assert "place it in" in message


def test_offline_mode_never_connects(server, tmp_path, monkeypatch):
    server.files["/f.bin"] = PAYLOAD
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="offline mode") as info:
        download_url(server.url("/f.bin"), tmp_path, checksum=MD5)
    assert server.url("/f.bin") in str(info.value) and "place it in" in str(info.value)
    assert server.requests == []
    (tmp_path / "f.bin").write_bytes(PAYLOAD)  # a verified local copy is used as it is
    assert download_url(server.url("/f.bin"), tmp_path, checksum=MD5).endswith("f.bin")
    (tmp_path / "f.bin").write_bytes(b"corrupt")
    with pytest.raises(RuntimeError, match="missing or corrupt"):
        download_url(server.url("/f.bin"), tmp_path, checksum=MD5)
    assert server.requests == []


@pytest.mark.parametrize("name, mode", [
    ("a.tar", "w"), ("a.tar.gz", "w:gz"), ("a.tgz", "w:gz"), ("a.tar.bz2", "w:bz2"),
    ("a.tar.xz", "w:xz"), ("a.zip", "zip")])
def test_extract_formats(tmp_path, name, mode):
    archive = tmp_path / name
    archive.write_bytes(pack({"d/a.txt": b"A"}, mode))
    assert extract_archive(archive) == str(tmp_path)  # default: beside the archive
    assert (tmp_path / "d" / "a.txt").read_bytes() == b"A"
    assert sorted(os.listdir(tmp_path)) == sorted([name, "d"])  # no scratch folder left


def test_extract_gz_and_remove_finished(tmp_path):
    path = tmp_path / "a.txt.gz"
    path.write_bytes(gzip.compress(b"hello"))
    assert extract_archive(path, tmp_path / "out", remove_finished=True) == str(tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_text() == "hello" and not path.exists()


def test_extract_merges_folders(tmp_path):
    # Two archives sharing a top folder (LibriSpeech subsets): the second adds to the first.
    for part in ("one", "two"):
        (tmp_path / f"{part}.tar.gz").write_bytes(pack({f"top/{part}/x.txt": b"x"}))
        extract_archive(tmp_path / f"{part}.tar.gz", tmp_path / "out")
    assert sorted(os.listdir(tmp_path / "out" / "top")) == ["one", "two"]


@pytest.mark.parametrize("bad", ["../escape.txt", "/abs/escape.txt", "a/../../up.txt"])
@pytest.mark.parametrize("mode", ["w:gz", "zip"])
def test_extract_refuses_escaping_members(tmp_path, bad, mode):
    archive = tmp_path / ("evil.zip" if mode == "zip" else "evil.tar.gz")
    archive.write_bytes(pack({"ok.txt": b"fine", bad: b"bad"}, mode))
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="outside"):
        extract_archive(archive, out)
    assert os.listdir(out) == []  # not even the harmless member
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "up.txt").exists()


@pytest.mark.parametrize("kind, target", [(tarfile.SYMTYPE, "../../etc/passwd"),
                                          (tarfile.SYMTYPE, "inside.txt"),
                                          (tarfile.LNKTYPE, "inside.txt"),
                                          (tarfile.CHRTYPE, "")])
def test_extract_refuses_links_and_devices(tmp_path, kind, target):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("link")
        info.type, info.linkname = kind, target
        tar.addfile(info)
    archive = tmp_path / "link.tar.gz"
    archive.write_bytes(buffer.getvalue())
    with pytest.raises(RuntimeError, match="not a plain file or folder"):
        extract_archive(archive, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []


def test_extract_damaged_or_unknown(tmp_path):
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(pack({"a.txt": b"x" * 1000})[:-30])
    with pytest.raises(RuntimeError, match="damaged"):
        extract_archive(archive, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []
    (tmp_path / "plain.txt").write_text("text")
    with pytest.raises(RuntimeError, match="not a zip, tar or gzip"):
        extract_archive(tmp_path / "plain.txt", tmp_path / "out")


def test_download_and_extract_archive(server, tmp_path):
    data = pack({"d/a.txt": b"A"})
    server.files["/a.tar.gz"] = data
    out = download_and_extract_archive(server.url("/a.tar.gz"), tmp_path / "dl",
                                       tmp_path / "ex", checksum=hashlib.md5(data).hexdigest(),
                                       remove_finished=True)
    assert out == str(tmp_path / "ex") and (tmp_path / "ex" / "d" / "a.txt").read_bytes() == b"A"
    assert os.listdir(tmp_path / "dl") == []
    download_and_extract_archive(server.url("/a.tar.gz"), tmp_path / "dl")
    assert (tmp_path / "dl" / "d" / "a.txt").exists()
