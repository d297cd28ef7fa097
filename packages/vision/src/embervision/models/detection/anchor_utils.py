"""AnchorGenerator (torchvision's `models/detection/anchor_utils.py`): the reference boxes
the RPN scores and regresses, at every position of every feature map."""
import ember
from ember import nn

__all__ = ["AnchorGenerator"]


class AnchorGenerator(nn.Module):
    """For feature map i, `len(sizes[i]) * len(aspect_ratios[i])` anchors centred on every
    position (aspect ratio = height / width), in the padded image's pixels.

    forward(image_list, feature_maps) -> one (sum over maps of H*W*A, 4) tensor per image,
    ordered by map, then row, column and anchor.
    """

    def __init__(self, sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),)):
        super().__init__()
        if not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)
        self.sizes = sizes
        self.aspect_ratios = aspect_ratios
        self.cell_anchors = [self.generate_anchors(size, ratio)
                             for size, ratio in zip(sizes, aspect_ratios)]

    def generate_anchors(self, scales, aspect_ratios, dtype=ember.float32, device="cpu"):
        """(len(ratios) * len(scales), 4) zero-centred anchors, rounded to whole pixels."""
        scales = ember.tensor(scales, dtype=dtype, device=device)
        aspect_ratios = ember.tensor(aspect_ratios, dtype=dtype, device=device)
        h_ratios = ember.sqrt(aspect_ratios)
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)
        hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
        return (ember.stack([-ws, -hs, ws, hs], dim=1) / 2).round()

    def num_anchors_per_location(self):
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios)]

    def grid_anchors(self, grid_sizes, strides):
        if not len(grid_sizes) == len(strides) == len(self.cell_anchors):
            raise ValueError(
                f"AnchorGenerator: got {len(grid_sizes)} feature maps but sizes and aspect "
                f"ratios for {len(self.cell_anchors)}; there must be one entry per feature map")
        anchors = []
        for (grid_h, grid_w), (stride_h, stride_w), base in zip(grid_sizes, strides,
                                                               self.cell_anchors):
            shifts_x = ember.arange(0, grid_w, device=base.device) * stride_w
            shifts_y = ember.arange(0, grid_h, device=base.device) * stride_h
            shift_y = shifts_y[:, None].expand(grid_h, grid_w).reshape(-1)
            shift_x = shifts_x[None, :].expand(grid_h, grid_w).reshape(-1)
            shifts = ember.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
            anchors.append((shifts.reshape(-1, 1, 4) + base.reshape(1, -1, 4)).reshape(-1, 4))
        return anchors

    def forward(self, image_list, feature_maps):
        grid_sizes = [tuple(f.shape[-2:]) for f in feature_maps]
        image_h, image_w = image_list.tensors.shape[-2:]
        strides = [(image_h // g[0], image_w // g[1]) for g in grid_sizes]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        self.cell_anchors = [a.to(dtype=dtype, device=device) for a in self.cell_anchors]
        over_all_maps = ember.cat(self.grid_anchors(grid_sizes, strides))
        return [over_all_maps for _ in image_list.image_sizes]
