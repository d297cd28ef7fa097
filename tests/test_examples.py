"""The README's examples run and do what the README says."""
import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(300)
def test_cnn_example_learns_with_worker_processes(capsys):
    acc = _load("train_cnn").main(epochs=4, num_workers=2)
    assert acc >= 0.95
    assert "reloaded from" in capsys.readouterr().out


@pytest.mark.parity
def test_cnn_checkpoint_is_read_by_torch(tmp_path):
    torch = pytest.importorskip("torch")
    import ember
    model = _load("train_cnn").build_model()
    ember.save(model.state_dict(), tmp_path / "cnn.pt")
    state = torch.load(tmp_path / "cnn.pt")
    assert list(state) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert state[key].shape == tuple(value.shape)
        assert torch.equal(state[key], torch.from_numpy(value.numpy()))


def test_readme_example_runs():
    """The 20-line example in README.md, executed as written."""
    text = (ROOT / "README.md").read_text()
    start = text.index("```python\nimport ember\n")
    code = text[start + len("```python\n"):text.index("```", start + 10)]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert abs(namespace["w"].item() - 2.0) < 0.05 and abs(namespace["b"].item() - 1.0) < 0.05
