"""`ModelSummary`: a table of the model's layers and parameter counts at the start of fit."""
from .callback import Callback


def summarize(model, max_depth=1):
    """Rows of (name, type, parameter count) for submodules up to `max_depth`, plus totals."""
    rows = []
    for name, module in model.named_modules():
        if not name or name.count(".") >= max_depth:
            continue
        rows.append((name, type(module).__name__, sum(p.numel() for p in module.parameters())))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return rows, trainable, total


def format_summary(model, max_depth=1):
    rows, trainable, total = summarize(model, max_depth)
    width_name = max([4] + [len(r[0]) for r in rows])
    width_type = max([4] + [len(r[1]) for r in rows])
    lines = [f"  | {'Name':<{width_name}} | {'Type':<{width_type}} | Params",
             "-" * (width_name + width_type + 20)]
    for i, (name, kind, count) in enumerate(rows):
        lines.append(f"{i:<2}| {name:<{width_name}} | {kind:<{width_type}} | {count:,}")
    lines += ["-" * (width_name + width_type + 20),
              f"{trainable:,} Trainable params", f"{total - trainable:,} Non-trainable params",
              f"{total:,} Total params",
              f"{total * 4 / 1e6:.3f} Total estimated model params size (MB, float32)"]
    return "\n".join(lines)


class ModelSummary(Callback):
    def __init__(self, max_depth=1):
        self.max_depth = max_depth

    def on_fit_start(self, trainer, pl_module):
        if self.max_depth != 0:
            print(format_summary(pl_module, self.max_depth))
