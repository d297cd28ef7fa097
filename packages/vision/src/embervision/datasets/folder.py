"""Datasets read from a folder tree `root/<class>/<file>`: DatasetFolder and ImageFolder."""
import os

from PIL import Image

from .vision import VisionDataset

__all__ = ["IMG_EXTENSIONS", "DatasetFolder", "ImageFolder", "default_loader",
           "find_classes", "has_file_allowed_extension", "is_image_file", "make_dataset",
           "pil_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions):
    """Whether `filename` ends with one of `extensions` (case-insensitive)."""
    exts = extensions if isinstance(extensions, str) else tuple(extensions)
    return filename.lower().endswith(exts)


def is_image_file(filename):
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """The sorted class folder names of `directory` and the map class -> index."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None,
                 allow_empty=False):
    """`(path, class_index)` for every accepted file under `directory/<class>/`, in sorted order.

    Exactly one of `extensions` and `is_valid_file` selects the files. A class folder without
    any accepted file raises FileNotFoundError unless `allow_empty`.
    """
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_idx' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if extensions is not None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)

    samples, found = [], set()
    for name in sorted(class_to_idx):
        folder = os.path.join(directory, name)
        if not os.path.isdir(folder):
            continue
        for dirpath, _, filenames in sorted(os.walk(folder, followlinks=True)):
            for filename in sorted(filenames):
                path = os.path.join(dirpath, filename)
                if is_valid_file(path):
                    samples.append((path, class_to_idx[name]))
                    found.add(name)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        message = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            exts = extensions if isinstance(extensions, str) else ", ".join(extensions)
            message += f"Supported extensions are: {exts}"
        raise FileNotFoundError(message)
    return samples


def pil_loader(path):
    with open(path, "rb") as f:
        image = Image.open(f)
        return image.convert("RGB")


def default_loader(path):
    return pil_loader(path)


class DatasetFolder(VisionDataset):
    """A generic folder dataset: `root/<class>/**/<file>`, each file read by `loader`.

    Attributes: `classes` (sorted folder names), `class_to_idx`, `samples` (list of
    `(path, class_index)`) and `targets` (the class indices).
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, transform, target_transform)
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, self.class_to_idx, extensions,
                                         is_valid_file, allow_empty)
        self.loader, self.extensions = loader, extensions
        self.targets = [target for _, target in self.samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False):
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory):
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._transformed(self.loader(path), target)

    def __len__(self):
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """DatasetFolder over images (IMG_EXTENSIONS unless `is_valid_file` says otherwise), read as
    RGB PIL images. `imgs` is `samples`, as in torchvision."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform, target_transform, is_valid_file, allow_empty)
        self.imgs = self.samples
