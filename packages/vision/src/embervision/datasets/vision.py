"""`VisionDataset`: what every downloadable dataset shares (root, transforms, repr)."""
import os

__all__ = ["VisionDataset"]


class VisionDataset:
    """Base class with torchvision's interface: `root`, `transform`, `target_transform`.

    Subclasses implement `__getitem__` and `__len__`, and may add lines to the repr through
    `extra_repr`.
    """

    def __init__(self, root=None, transform=None, target_transform=None):
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else None
        self.transform, self.target_transform = transform, target_transform

    def _transformed(self, image, target):
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        for name in ("transform", "target_transform"):
            if getattr(self, name) is not None:
                lines.append(f"{name.capitalize().replace('_t', 'T')}: {getattr(self, name)!r}")
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in lines])


def not_found(dataset, folder):
    return RuntimeError(f"{type(dataset).__name__}: dataset not found or corrupted in {folder}; "
                        "use download=True to download it")
