"""The ink finder's and segmenter's shortcuts give the very values of the slower ways they replace."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer import fuzz, ink
from recognizer.decode import decode


def _opencv_shrink(image: np.ndarray, factor: int) -> np.ndarray:
    height, width = image.shape
    whole = image[: height - height % factor, : width - width % factor]
    return cv2.resize(whole, (width // factor, height // factor), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("shape", [(960, 1280), (215, 481), (43, 97)])
def test_the_grey_photo_is_shrunk_to_the_pixel_as_opencvs_4x_average(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[1])
    # smooth light with fine noise: many blocks average to a half, where rounding is decided
    light = cv2.resize(rng.integers(120, 250, (8, 8), np.uint8), shape[::-1], interpolation=cv2.INTER_CUBIC)
    for image in (
        light,
        cv2.add(light, rng.integers(0, 3, shape, np.uint8)),
        rng.integers(0, 256, shape, np.uint8),
    ):
        np.testing.assert_array_equal(ink._shrink(image, 4), _opencv_shrink(image, 4))


def test_a_shrunk_mask_keeps_which_blocks_hold_ink_and_which_are_half_inked() -> None:
    rng = np.random.default_rng(5)
    mask = np.where(rng.random((480, 640)) < 0.5, 255, 0).astype(np.uint8)  # every count of 16
    small, reference = ink._shrink_mask(mask, 4), _opencv_shrink(mask, 4)
    assert small.shape == reference.shape
    np.testing.assert_array_equal(small > 0, reference > 0)
    np.testing.assert_array_equal(small > 127, reference > 127)


def test_the_segmenters_upper_quartile_is_numpys_75th_percentile() -> None:
    from recognizer.segment import upper_quartile

    rng = np.random.default_rng(11)
    for count in range(1, 40):
        for values in (rng.integers(0, 200, count).tolist(), rng.random(count).tolist()):
            values.sort()
            assert upper_quartile(values) == float(np.percentile(values, 75))


def test_only_a_noisy_photo_is_smoothed_before_its_ink_is_looked_for() -> None:
    rng = np.random.default_rng(0)
    page = np.full((480, 640), 200, np.uint8)
    cv2.putText(page, "0123", (40, 300), cv2.FONT_HERSHEY_SIMPLEX, 6, 40, 12)
    ordinary = cv2.GaussianBlur(page, (0, 0), 0.8)  # (a sharp photo's soft edges are no noise)
    noisy = np.clip(ordinary + rng.normal(0, 25, page.shape), 0, 255).astype(np.uint8)
    assert ink.grain(ordinary) < ink.NOISY_GRAIN < ink.grain(noisy)
    assert ink._denoised(ordinary) is ordinary
    smoothed = ink._denoised(noisy)
    assert ink.grain(smoothed) < ink.grain(noisy) / 3
    # the writing's ink is found whole, with no specks around it
    assert (
        cv2.connectedComponents(ink.find_ink(noisy).mask)[0] - 1
        == cv2.connectedComponents(ink.find_ink(ordinary).mask)[0] - 1
    )


def test_a_picture_of_random_pixels_is_not_smoothed_into_blots_of_ink() -> None:
    """Smoothed, random pixels (a small GIF of them enlarged: noise in blobs; or as they are) read
    as digits: 3,248 from 77 GIFs of benchmarks/fuzz_inputs.py."""
    rng = np.random.default_rng(0)
    enlarged = cv2.cvtColor(decode(fuzz._animated_gif(rng)).working, cv2.COLOR_RGB2GRAY)
    random_pixels = rng.integers(0, 256, (480, 640), dtype=np.uint8)
    for picture in (enlarged, random_pixels):
        assert ink.grain(picture) > ink.NOISY_GRAIN
        assert ink._denoised(picture) is picture


def test_a_pencil_strokes_light_part_parted_by_the_grain_from_its_dark_part_is_ink_too() -> None:
    """A pencil 7 pressed hard on its bar and lightly on its stem, the two parted by a gap of the
    paper's grain 3 pixels wide: the stem never touches the bar's certain ink, yet it is the same
    stroke (a 9's light loop beside its dark stem read as a 1)."""
    rng = np.random.default_rng(0)
    page = np.full((480, 640), 200.0)
    cv2.line(page, (300, 200), (360, 200), 120, 4)  # the bar, pressed hard: 40% darker than the paper
    cv2.line(page, (358, 208), (330, 290), 168, 4)  # the stem, light: 16% darker, 3 pixels below
    photo = np.clip(page + rng.normal(0, 1.5, page.shape), 0, 255).astype(np.uint8)
    darkness, _ = ink.darkness_and_paper(photo)
    assert ink._strong_bar(darkness, None) < ink.STRONG_DARKNESS  # taken for faint writing
    mask = ink.find_ink(photo).mask
    assert mask[198:203, 305:355].all()  # the bar
    assert np.count_nonzero(mask[230:280, 330:360]) > 80  # the stem's middle
    assert np.count_nonzero(mask) < 2 * np.count_nonzero(page < 190)  # and no paper around them


def _page_of_strokes(light_tail: bool) -> tuple[np.ndarray, np.ndarray]:
    """Weak and strong ink (0/255) of a 1280x960 photo: two numbers' strokes far apart, their light
    edges, the paper's grain in weak specks all over it and, with ``light_tail``, a light stroke
    running on from one digit across most of the page."""
    rng = np.random.default_rng(3)
    strong = np.zeros((960, 1280), np.uint8)
    for left, top in ((200, 300), (700, 700)):
        for k in range(6):
            x = left + 45 * k
            cv2.line(strong, (x, top), (x + 20, top + 60), 255, 6)
            cv2.line(strong, (x, top), (x + 25, top), 255, 6)
    weak = cv2.dilate(strong, np.ones((3, 3), np.uint8))
    weak[rng.random(weak.shape) < 0.01] = 255
    if light_tail:
        cv2.line(weak, (225, 300), (1200, 80), 255, 6)
    return weak, strong


@pytest.mark.parametrize("light_tail", [False, True])
@pytest.mark.parametrize("bar", [ink.STRONG_DARKNESS, 0.3])  # pen ink, faint ink
def test_strokes_traced_around_the_writing_are_those_traced_over_the_whole_photo(
    monkeypatch, light_tail: bool, bar: float
) -> None:
    weak, strong = _page_of_strokes(light_tail)
    darkness = np.zeros(weak.shape, np.float32)
    found_boxes = []
    boxes_of = ink._writing_boxes

    def recorded(*args):
        found_boxes.append(boxes_of(*args))
        return found_boxes[-1]

    monkeypatch.setattr(ink, "_writing_boxes", recorded)
    traced = ink._pen_strokes(weak, strong, darkness, None, bar)
    assert len(found_boxes[0]) == 2  # (each number traced in its own box)
    monkeypatch.setattr(ink, "_writing_boxes", lambda *args: None)  # (no boxes: the whole photo traced)
    np.testing.assert_array_equal(traced, ink._pen_strokes(weak, strong, darkness, None, bar))
    # the light tail is the digit's: it runs on past the box round the strong ink, and is kept whole
    assert (traced[80:100, 1150:1200] > 0).any() == light_tail


def test_the_stroke_width_is_measured_on_the_strong_inks_box_as_on_the_whole_mask() -> None:
    for blocks in ([(200, 100, 260, 140)], [(200, 100, 260, 140), (500, 0, 560, 10)]):  # (one at the edge)
        strong = np.zeros((480, 640), np.uint8)
        for top, left, bottom, right in blocks:
            strong[top:bottom, left:right] = 255
        outline = np.count_nonzero(strong) - np.count_nonzero(cv2.erode(strong, np.ones((3, 3), np.uint8)))
        assert ink._stroke_reach(strong)[0] == 2 * np.count_nonzero(strong) / outline
