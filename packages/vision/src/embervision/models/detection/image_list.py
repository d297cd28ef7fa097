"""ImageList: a padded batch of images together with each image's size before padding."""

__all__ = ["ImageList"]


class ImageList:
    """`tensors` (N, C, H, W), padded; `image_sizes` [(h, w)] of the images inside it."""

    def __init__(self, tensors, image_sizes):
        self.tensors = tensors
        self.image_sizes = image_sizes

    def to(self, device):
        return ImageList(self.tensors.to(device), self.image_sizes)
