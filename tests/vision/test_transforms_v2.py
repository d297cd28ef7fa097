"""embervision.transforms.v2: sample structures, tv_tensors, boxes following the image, mixers."""
import numpy as np
import pytest
from PIL import Image as PILImage

import ember
import embervision.transforms.v2 as v2
from embervision.transforms.v2 import tv_tensors

H, W = 12, 16
BOX = [3, 2, 9, 7]  # XYXY


def boxed_sample():
    """An image that is 255 exactly inside BOX, with that box and a mask of it."""
    img = np.zeros((1, H, W), np.uint8)
    img[:, BOX[1]:BOX[3], BOX[0]:BOX[2]] = 255
    image = tv_tensors.Image(ember.from_numpy(img))
    boxes = tv_tensors.BoundingBoxes([BOX], format="XYXY", canvas_size=(H, W))
    mask = tv_tensors.Mask(ember.from_numpy(img[0] // 255))
    return {"image": image, "boxes": boxes, "mask": mask, "label": 4}


def extent(arr):
    ys, xs = np.nonzero(arr.reshape(arr.shape[-2:]) > 127)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


@pytest.mark.parametrize("transform", [
    v2.RandomHorizontalFlip(p=1.0),
    v2.RandomVerticalFlip(p=1.0),
    v2.Resize((24, 8), interpolation=v2.InterpolationMode.NEAREST),
    v2.CenterCrop(8),
    v2.CenterCrop((14, 18)),
    v2.Pad([2, 1, 0, 3]),
    v2.RandomCrop(10, padding=2),
    v2.RandomResizedCrop(16, scale=(0.9, 1.0), interpolation=v2.InterpolationMode.NEAREST),
    v2.RandomRotation((90, 90)),
    v2.RandomRotation((90, 90), expand=True),
    v2.RandomAffine(0, translate=(0.2, 0.2)),
], ids=lambda t: type(t).__name__)
def test_boxes_and_masks_follow_the_image(transform):
    ember.manual_seed(3)
    out = transform(boxed_sample())
    image, boxes, mask = out["image"], out["boxes"], out["mask"]
    assert isinstance(image, tv_tensors.Image) and isinstance(mask, tv_tensors.Mask)
    assert isinstance(boxes, tv_tensors.BoundingBoxes) and out["label"] == 4
    assert boxes.canvas_size == tuple(image.shape[-2:]) == tuple(mask.shape[-2:])
    # resampling puts box edges between pixels: the image's edge is then 1 pixel off
    tol = 1 if isinstance(transform, (v2.Resize, v2.RandomResizedCrop)) else 0
    assert np.abs(boxes.numpy()[0] - extent(image.numpy())).max() <= tol
    assert extent(mask.numpy() * 255) == extent(image.numpy())


def test_box_formats_round_trip_and_follow_flip():
    xyxy = tv_tensors.BoundingBoxes([[3.0, 2.0, 9.0, 7.0]], format="XYXY", canvas_size=(H, W))
    xywh = v2.convert_bounding_box_format(xyxy, "XYWH")
    cxcywh = v2.convert_bounding_box_format(xyxy, "CXCYWH")
    assert xywh.numpy().tolist() == [[3, 2, 6, 5]]
    assert cxcywh.numpy().tolist() == [[6, 4.5, 6, 5]]
    flipped = v2.RandomHorizontalFlip(1.0)(cxcywh)
    assert flipped.format == tv_tensors.BoundingBoxFormat.CXCYWH
    assert flipped.numpy().tolist() == [[10, 4.5, 6, 5]]
    assert "canvas_size=(12, 16)" in repr(xyxy)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        tv_tensors.BoundingBoxes([1, 2, 3], format="XYXY", canvas_size=(H, W))


def test_structures_and_plain_tensor_heuristic():
    img, other, label = ember.rand(3, 8, 8), ember.rand(3, 8, 8), ember.tensor(2)
    a, b, c = v2.RandomHorizontalFlip(1.0)(img, other, label)
    # only the first plain tensor is treated as the image; the rest passes through
    assert np.array_equal(a.numpy(), img.numpy()[..., ::-1]) and b is other and c is label
    pil = PILImage.fromarray(np.zeros((8, 8, 3), np.uint8))
    out = v2.Resize(4)([pil, {"t": img}])
    assert out[0].size == (4, 4) and out[1]["t"] is img  # an image present: tensors pass


def test_to_image_to_dtype_normalize_pipeline():
    arr = np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    pipeline = v2.Compose([v2.ToImage(), v2.ToDtype(ember.float32, scale=True),
                           v2.Normalize([0.5] * 3, [0.5] * 3)])
    image, label = pipeline(PILImage.fromarray(arr), 7)
    assert isinstance(image, tv_tensors.Image) and image.dtype == ember.float32 and label == 7
    np.testing.assert_allclose(image.numpy(), arr.transpose(2, 0, 1) / 127.5 - 1, atol=1e-6)
    assert isinstance(v2.ToImage()(arr), tv_tensors.Image)
    mask = tv_tensors.Mask(ember.zeros(4, 4, dtype=ember.uint8))
    out = v2.ToDtype({tv_tensors.Image: ember.float32, "others": None})(
        tv_tensors.Image(ember.zeros(1, 4, 4, dtype=ember.uint8)), mask)
    assert out[0].dtype == ember.float32 and out[1] is mask


def test_color_transforms_leave_boxes_and_masks():
    sample = boxed_sample()
    out = v2.ColorJitter(brightness=0.5)(sample)
    assert out["boxes"] is sample["boxes"] and out["mask"] is sample["mask"]
    assert isinstance(out["image"], tv_tensors.Image)


@pytest.mark.parametrize("mixer", [v2.MixUp, v2.CutMix])
def test_mixup_cutmix(mixer):
    images = ember.rand(4, 3, 8, 8)
    labels = ember.tensor([0, 1, 2, 1])
    ember.manual_seed(0)
    out_images, out_labels = mixer(alpha=1.0, num_classes=3)(images, labels)
    ember.manual_seed(0)
    again, _ = mixer(alpha=1.0, num_classes=3)(images, labels)
    assert np.array_equal(out_images.numpy(), again.numpy())
    assert out_images.shape == images.shape and out_labels.shape == (4, 3)
    np.testing.assert_allclose(out_labels.numpy().sum(1), 1.0, rtol=1e-6)
    lam = float(out_labels.numpy()[0, 0])  # image 0 keeps lam of its own class 0
    if mixer is v2.MixUp:
        ref = lam * images.numpy() + (1 - lam) * np.roll(images.numpy(), 1, 0)
        np.testing.assert_allclose(out_images.numpy(), ref, rtol=1e-5, atol=1e-6)
    else:  # the pasted area is exactly 1 - lam of the image
        pasted = (out_images.numpy() != images.numpy()).any(axis=1)[0]
        assert abs(pasted.mean() - (1 - lam)) < 1e-6 or pasted.sum() == 0
    d = mixer(num_classes=3)({"image": images, "labels": labels})
    assert d["labels"].shape == (4, 3)


def test_mixup_errors():
    with pytest.raises(ValueError, match="num_classes"):
        v2.MixUp()
    with pytest.raises(ValueError, match="batched"):
        v2.MixUp(num_classes=3)(ember.rand(3, 8, 8), ember.tensor([0]))
    with pytest.raises(ValueError, match="labels"):
        v2.CutMix(num_classes=3)(ember.rand(2, 3, 8, 8), ember.rand(2))
