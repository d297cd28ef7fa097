"""embertext.datasets: tiny files in the real formats served from 127.0.0.1 (never the internet)."""
import hashlib
import io
import os
import tarfile
import zipfile

import pytest
from local_http_server import serve

from embertext import datasets
from embertext.datasets import classification, language_modeling, translation


def _tar_gz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def _md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def server():
    with serve() as s:
        yield s


def _host(server, monkeypatch, table, payloads, digest=_md5):
    """Serve each split's bytes and point the dataset's resources table at them."""
    for split, (path, data) in payloads.items():
        server.files[path] = data
        monkeypatch.setitem(table, split, (server.url(path), digest(data)))


AG_CSV = ('"3","Wall St. Bears","Short-sellers, Wall Street\'s dwindling band"\n'
          '"4","Space","A rocket"\n')


def test_ag_news_downloads_verifies_and_reads(server, monkeypatch, tmp_path):
    _host(server, monkeypatch, classification.AG_NEWS_RESOURCES,
          {"train": ("/ag/train.csv", AG_CSV.encode()), "test": ("/ag/test.csv", b'"1","a","b"\n')})
    train, test = datasets.AG_NEWS(root=tmp_path)
    assert list(train) == [(3, "Wall St. Bears Short-sellers, Wall Street's dwindling band"),
                           (4, "Space A rocket")]
    assert len(test) == 1 and test[0] == (1, "a b")
    assert len(server.requests) == 2
    # A second call uses the files already in root: no request.
    again = datasets.AG_NEWS(root=tmp_path, split="train")
    assert again[1] == (4, "Space A rocket") and len(server.requests) == 2


def test_bad_checksum_deletes_and_raises(server, monkeypatch, tmp_path):
    server.files["/ag/train.csv"] = AG_CSV.encode()
    monkeypatch.setitem(classification.AG_NEWS_RESOURCES, "train",
                        (server.url("/ag/train.csv"), "0" * 32))
    with pytest.raises(RuntimeError, match="MD5"):
        datasets.AG_NEWS(root=tmp_path, split="train")
    assert not os.path.exists(tmp_path / "AG_NEWS" / "train.csv")


def test_sha256_checksum_and_mirrors(server, monkeypatch, tmp_path):
    data = AG_CSV.encode()
    server.files["/mirror/train.csv"] = data
    monkeypatch.setitem(classification.AG_NEWS_RESOURCES, "train",
                        (server.url("/gone/train.csv"), hashlib.sha256(data).hexdigest()))
    (train,) = datasets.AG_NEWS(root=tmp_path, split=("train",),
                                mirrors=[server.url("/mirror/")])
    assert len(train) == 2 and server.requests == ["/mirror/train.csv"]


def test_offline_uses_local_files_and_explains_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    (tmp_path / "AG_NEWS").mkdir()
    (tmp_path / "AG_NEWS" / "test.csv").write_text(AG_CSV)
    assert len(datasets.AG_NEWS(root=tmp_path, split="test")) == 2
    with pytest.raises(RuntimeError, match="place it in"):
        datasets.AG_NEWS(root=tmp_path, split="train")


def test_unknown_split():
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        datasets.AG_NEWS(split="dev")


def test_yelp_tar_gz(server, monkeypatch, tmp_path):
    archive = _tar_gz({"yelp_review_polarity_csv/train.csv": '"2","Great ""tacos""."\n',
                       "yelp_review_polarity_csv/test.csv": '"1","Bad.","Really"\n'})
    for split in ("train", "test"):
        _host(server, monkeypatch, classification.YELP_RESOURCES,
              {split: ("/yelp_review_polarity_csv.tgz", archive)})
    train, test = datasets.YelpReviewPolarity(root=tmp_path)
    assert list(train) == [(2, 'Great "tacos".')] and list(test) == [(1, "Bad. Really")]
    assert len(server.requests) == 1  # one archive serves both splits


def test_imdb_tar_gz(server, monkeypatch, tmp_path):
    files = {f"aclImdb/{s}/{p}/{i}_{r}.txt": f"{s} {p} {i}" for s in ("train", "test")
             for p, r in (("neg", 2), ("pos", 9)) for i in range(2)}
    archive = _tar_gz(files)
    for split in ("train", "test"):
        _host(server, monkeypatch, classification.IMDB_RESOURCES,
              {split: ("/aclImdb_v1.tar.gz", archive)})
    train = datasets.IMDB(root=tmp_path, split="train")
    assert list(train) == [(1, "train neg 0"), (1, "train neg 1"), (2, "train pos 0"),
                           (2, "train pos 1")]


def test_sst2_zip(server, monkeypatch, tmp_path):
    archive = _zip({"SST-2/train.tsv": "sentence\tlabel\nhide new secretions \t0\ngood \t1\n",
                    "SST-2/dev.tsv": "sentence\tlabel\nit 's a charming trip . \t1\n",
                    "SST-2/test.tsv": "index\tsentence\n0\tuneasy mishmash\n"})
    for split in ("train", "dev", "test"):
        _host(server, monkeypatch, classification.SST2_RESOURCES, {split: ("/SST-2.zip", archive)})
    train, dev, test = datasets.SST2(root=tmp_path)
    assert list(train) == [("hide new secretions ", 0), ("good ", 1)]
    assert dev[0] == ("it 's a charming trip . ", 1) and list(test) == [("uneasy mishmash",)]


@pytest.mark.parametrize("fn,table,folder,archive_name", [
    (datasets.WikiText2, "WIKITEXT2_RESOURCES", "wikitext-2", "wikitext-2-v1.zip"),
    (datasets.WikiText103, "WIKITEXT103_RESOURCES", "wikitext-103", "wikitext-103-v1.zip"),
])
def test_wikitext_zip(server, monkeypatch, tmp_path, fn, table, folder, archive_name):
    archive = _zip({f"{folder}/wiki.{s}.tokens": f" \n = {s} = \n \n words <unk> here \n"
                    for s in ("train", "valid", "test")})
    for split in ("train", "valid", "test"):
        _host(server, monkeypatch, getattr(language_modeling, table),
              {split: ("/" + archive_name, archive)})
    train, valid, test = fn(root=tmp_path)
    assert list(valid) == [" \n", " = valid = \n", " \n", " words <unk> here \n"]
    assert len(train) == 4 and test[1] == " = test = \n"


def test_penn_treebank_plain_text(server, monkeypatch, tmp_path):
    payloads = {s: (f"/ptb.{s}.txt", f" aer banknote \n {s} <unk> N \n".encode())
                for s in ("train", "valid", "test")}
    _host(server, monkeypatch, language_modeling.PTB_RESOURCES, payloads)
    train = datasets.PennTreebank(root=tmp_path, split="train")
    assert list(train) == ["aer banknote", "train <unk> N"]


def test_multi30k_tar_gz(server, monkeypatch, tmp_path):
    names = {"train": ("training.tar.gz", "train"), "valid": ("validation.tar.gz", "val"),
             "test": ("mmt16_task1_test.tar.gz", "test2016")}
    payloads = {s: ("/" + a, _tar_gz({f"{p}.de": f"Zwei Männer {s}.\nEin Hund.\n",
                                      f"{p}.en": f"Two men {s}.\nA dog.\n"}))
                for s, (a, p) in names.items()}
    _host(server, monkeypatch, translation.MULTI30K_RESOURCES, payloads,
          digest=lambda d: hashlib.sha256(d).hexdigest())
    train, valid, test = datasets.Multi30k(root=tmp_path)
    assert list(train) == [("Zwei Männer train.", "Two men train."), ("Ein Hund.", "A dog.")]
    assert valid[0] == ("Zwei Männer valid.", "Two men valid.")
    en_de = datasets.Multi30k(root=tmp_path, split="test", language_pair=("en", "de"))
    assert en_de[1] == ("A dog.", "Ein Hund.")
    with pytest.raises(ValueError, match="language_pair"):
        datasets.Multi30k(root=tmp_path, language_pair=("fr", "en"))


def test_streaming_and_dataloader(server, monkeypatch, tmp_path):
    from ember.utils.data import DataLoader
    _host(server, monkeypatch, classification.AG_NEWS_RESOURCES,
          {"train": ("/ag/train.csv", AG_CSV.encode())})
    train = datasets.AG_NEWS(root=tmp_path, split="train")
    assert next(iter(train))[0] == 3 and train._items is None  # iteration streams from disk
    labels = [b[0] for b in DataLoader(train, batch_size=2, collate_fn=lambda b: list(zip(*b)))]
    assert labels == [(3, 4)]
