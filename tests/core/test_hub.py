"""ember.hub against a local HTTP server on 127.0.0.1 (never the internet)."""
import hashlib
import io
import os

import pytest
from local_http_server import serve

import ember
from ember import hub


@pytest.fixture
def server():
    with serve() as s:
        yield s


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "_hub_dir", None)
    return tmp_path / "home" / "hub" / "checkpoints"


def _checkpoint():
    buf = io.BytesIO()
    ember.save({"w": ember.arange(6).reshape(2, 3)}, buf)
    data = buf.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def test_dirs(tmp_path, monkeypatch):
    assert hub.get_dir() == str(tmp_path / "home" / "hub")
    hub.set_dir(tmp_path / "elsewhere")
    assert hub.get_dir() == str(tmp_path / "elsewhere")
    monkeypatch.delenv("EMBER_HOME")
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "ember" / "hub")


def test_download_and_cache_hit(server, cache):
    data, digest = _checkpoint()
    name = f"/model-{digest[:8]}.pt"
    server.files[name] = data
    sd = hub.load_state_dict_from_url(server.url(name), check_hash=True, progress=False)
    assert sd["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert os.listdir(cache) == [name[1:]]
    server.files.clear()  # a second call must not ask the server for anything
    sd = hub.load_state_dict_from_url(server.url(name), check_hash=True, progress=False)
    assert sd["w"].shape == (2, 3) and server.requests == [name]


def test_hash_mismatch_leaves_nothing(server, cache):
    data, _ = _checkpoint()
    server.files["/model-0123abcd.pt"] = data
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.load_state_dict_from_url(server.url("/model-0123abcd.pt"), check_hash=True,
                                     progress=False)
    assert os.listdir(cache) == []


def test_interrupted_download_resumes(server, tmp_path):
    data = os.urandom(300_000)
    digest = hashlib.sha256(data).hexdigest()
    server.files["/big.bin"] = data
    server.drop_after["/big.bin"] = 100_000
    dst = tmp_path / "big.bin"
    with pytest.raises(RuntimeError, match="interrupted|stopped"):
        hub.download_url_to_file(server.url("/big.bin"), dst, hash_prefix=digest[:10],
                                 progress=False)
    assert not dst.exists() and (tmp_path / "big.bin.partial").stat().st_size == 100_000
    hub.download_url_to_file(server.url("/big.bin"), dst, hash_prefix=digest[:10],
                             progress=False)
    assert dst.read_bytes() == data and not (tmp_path / "big.bin.partial").exists()
    assert len(server.requests) == 2  # the second request asked only for the rest


def test_partial_already_complete(server, tmp_path):
    server.files["/f.bin"] = b"abc"
    (tmp_path / "f.bin.partial").write_bytes(b"abc")
    hub.download_url_to_file(server.url("/f.bin"), tmp_path / "f.bin", progress=False)
    assert (tmp_path / "f.bin").read_bytes() == b"abc"


def test_404_names_the_url(server, cache):
    url = server.url("/missing.pt")
    with pytest.raises(RuntimeError, match="404") as info:
        hub.load_state_dict_from_url(url, progress=False)
    assert url in str(info.value)
    assert os.listdir(cache) == []


def test_mirrors_in_order(server, cache):
    data, _ = _checkpoint()
    server.files["/mirror2/model.pt"] = data
    sd = hub.load_state_dict_from_url(
        server.url("/gone/model.pt"), progress=False,
        mirrors=[server.url("/mirror1/"), server.url("/mirror2/")])
    assert sd["w"].shape == (2, 3)
    assert server.requests == ["/gone/model.pt", "/mirror1/model.pt", "/mirror2/model.pt"]


def test_offline_mode(server, cache, monkeypatch):
    data, _ = _checkpoint()
    server.files["/model.pt"] = data
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    url = server.url("/model.pt")
    with pytest.raises(RuntimeError, match="offline") as info:
        hub.load_state_dict_from_url(url, progress=False)
    assert url in str(info.value) and "model.pt" in str(info.value)
    with pytest.raises(RuntimeError, match="offline"):
        hub.download_url_to_file(url, cache / "x.pt", progress=False)
    assert server.requests == []
    monkeypatch.delenv("EMBER_OFFLINE")
    hub.load_state_dict_from_url(url, progress=False)
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    assert hub.load_state_dict_from_url(url, progress=False)["w"].shape == (2, 3)
    assert server.requests == ["/model.pt"]


def test_file_url_and_custom_name(tmp_path):
    data, _ = _checkpoint()
    src = tmp_path / "src.pt"
    src.write_bytes(data)
    sd = hub.load_state_dict_from_url(src.as_uri(), model_dir=tmp_path / "models",
                                      file_name="renamed.pt", progress=False)
    assert sd["w"].shape == (2, 3) and (tmp_path / "models" / "renamed.pt").exists()


def test_progress_bar_only_on_a_terminal(server, tmp_path, capsys):
    server.files["/f.bin"] = b"x" * 1000
    hub.download_url_to_file(server.url("/f.bin"), tmp_path / "f.bin", progress=True)
    assert capsys.readouterr().err == ""  # pytest's stderr is not a TTY
