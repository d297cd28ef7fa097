"""Trainer(strategy="ddp", devices=2): the script re-launches itself as rank 1, each rank
trains on its DistributedSampler share, and the weights match one process on the combined
batches; sync_dist averages logged values; only rank 0 logs and checkpoints."""
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember
from emberlightning import Trainer

HERE = os.path.dirname(__file__)

SCRIPT = """
import os, pickle, sys
sys.path.insert(0, {here!r})
import ember, ember.distributed as dist
from emberlightning import Trainer
from _models import LinearModel, loader

class Synced(LinearModel):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        self.log("rank_seen", float(dist.get_rank()), sync_dist=True, on_epoch=True)
        return loss

ember.manual_seed(0)
model = Synced()
trainer = Trainer(strategy="ddp", devices=2, accelerator="cpu", max_epochs=2,
                  enable_progress_bar=False, enable_model_summary=False,
                  default_root_dir=os.getcwd())
trainer.fit(model, loader(n=64, batch_size=8))
rank = int(os.environ["RANK"])
with open(f"rank{{rank}}.pkl", "wb") as f:
    pickle.dump({{"weights": {{k: v.numpy() for k, v in model.state_dict().items()}},
                 "rank_seen": float(trainer.callback_metrics["rank_seen"]),
                 "loggers": len(trainer.loggers)}}, f)
"""


@pytest.mark.timeout(120)
def test_ddp_with_two_devices_matches_one_process_on_the_combined_batch(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT.format(here=HERE)))
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    ranks = []
    for r in range(2):
        with open(tmp_path / f"rank{r}.pkl", "rb") as f:
            ranks.append(pickle.load(f))
    assert [r["loggers"] for r in ranks] == [1, 0]  # only rank 0 logs
    assert ranks[0]["rank_seen"] == ranks[1]["rank_seen"] == 0.5  # mean of ranks 0 and 1
    checkpoints = [f for _, _, files in os.walk(tmp_path) for f in files if f.endswith(".ckpt")]
    assert len(checkpoints) == 1

    sys.path.insert(0, HERE)
    from _models import LinearModel, loader
    ember.manual_seed(0)
    single = LinearModel()
    # DistributedSampler without shuffle: step k of rank r sees samples 16k + 2j + r, so the
    # combined batch is 16 consecutive samples.
    Trainer(accelerator="cpu", max_epochs=2, logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False).fit(
        single, loader(n=64, batch_size=16))
    for name, value in single.state_dict().items():
        for r in ranks:
            np.testing.assert_allclose(r["weights"][name], value.numpy(), rtol=1e-5,
                                       atol=1e-6, err_msg=name)


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="strategy must be"):
        Trainer(strategy="deepspeed")
