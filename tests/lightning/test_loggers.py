"""TensorBoardLogger (read back through tensorboardX's event protobuf) and several loggers."""
import os
import struct

import pytest

from _models import LinearModel, loader
from emberlightning import Trainer
from emberlightning.loggers import CSVLogger

tensorboardX = pytest.importorskip("tensorboardX")
from emberlightning.loggers import TensorBoardLogger  # noqa: E402


def read_events(log_dir):
    """(tag, step, value) of every scalar in the TFRecord event files under `log_dir`."""
    from tensorboardX.proto.event_pb2 import Event
    scalars = []
    for name in sorted(os.listdir(log_dir)):
        if not name.startswith("events.out.tfevents"):
            continue
        data = open(os.path.join(log_dir, name), "rb").read()
        pos = 0
        while pos < len(data):  # length, crc(length), record, crc(record)
            (length,) = struct.unpack("<Q", data[pos:pos + 8])
            event = Event.FromString(data[pos + 12:pos + 12 + length])
            pos += 12 + length + 4
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    scalars.append((value.tag, event.step, value.simple_value))
    return scalars


def test_tensorboard_and_csv_loggers_together(tmp_path):
    tb, csv_logger = TensorBoardLogger(tmp_path), CSVLogger(tmp_path, name="csv")
    trainer = Trainer(max_epochs=2, logger=[tb, csv_logger], log_every_n_steps=2,
                      enable_progress_bar=False, enable_model_summary=False,
                      enable_checkpointing=False)
    trainer.fit(LinearModel(), loader(), loader())
    assert trainer.loggers == [tb, csv_logger] and trainer.log_dir == tb.log_dir
    assert tb.log_dir == os.path.join(str(tmp_path), "lightning_logs", "version_0")
    scalars = read_events(tb.log_dir)
    tags = {tag for tag, _, _ in scalars}
    assert {"train_loss_step", "train_loss_epoch", "val_loss", "epoch", "hp_metric"} <= tags
    val = [v for tag, _, v in scalars if tag == "val_loss"]
    assert len(val) == 2 and val[-1] == pytest.approx(float(trainer.callback_metrics["val_loss"]))
    assert open(os.path.join(tb.log_dir, "hparams.yaml")).read() == "lr: 0.1\n"
    assert os.path.exists(os.path.join(csv_logger.log_dir, "metrics.csv"))
    assert TensorBoardLogger(tmp_path).version == 1
