"""Step 1b: a shaking hand's smear, found on the writing and undone (recognizer/shake.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer.shake import Smear, find_smear, unsmeared
from recognizer.synthetic import DigitBank, PhotoOptions, render_photo

SMEAR_LENGTH = 9.0


@pytest.fixture(scope="module")
def bank(mnist_test) -> DigitBank:
    images, labels = mnist_test
    return DigitBank(images, labels)


def _writing(bank: DigitBank, seed: int = 1, **options) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A grey photo of a number on white paper (no JPEG: the smear is added to its pixels), and the
    box around its writing, 30 pixels wider each way (left, top, right, bottom)."""
    options = PhotoOptions(digit_height=60, jpeg_quality=None, **options)
    photo = render_photo(bank, ["416 201 7789"], np.random.default_rng(seed), options)
    grey = cv2.cvtColor(photo.image, cv2.COLOR_RGB2GRAY)
    boxes = np.array(photo.digit_boxes)
    left, top = boxes[:, :2].min(axis=0) - 30
    right, bottom = (boxes[:, :2] + boxes[:, 2:]).max(axis=0) + 30
    return grey, (int(left), int(top), int(right), int(bottom))


def _smeared(grey: np.ndarray, smear: Smear) -> np.ndarray:
    return cv2.filter2D(grey.astype(np.float32), -1, smear.kernel()).round().astype(np.uint8)


def _crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    left, top, right, bottom = box
    return image[top:bottom, left:right]


@pytest.mark.parametrize("degrees", [0, 20, 90, 140])
def test_a_smear_is_found_along_its_length_and_direction(bank, degrees: int) -> None:
    grey, box = _writing(bank)
    smear = find_smear(_crop(_smeared(grey, Smear(SMEAR_LENGTH, np.deg2rad(degrees))), box))
    assert smear is not None
    assert abs(smear.length - SMEAR_LENGTH) <= 1.5
    off = abs(np.rad2deg(smear.angle) - degrees) % 180
    assert min(off, 180 - off) <= 8


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sharp_writing_blank_paper_and_a_sliver_have_no_smear(bank, seed: int) -> None:
    grey, box = _writing(bank, seed)
    assert find_smear(_crop(grey, box)) is None
    assert find_smear(np.full((200, 600), 235, np.uint8)) is None
    # (too small to tell a smear up to the longest looked for from the writing's own shapes)
    smeared = _smeared(grey, Smear(SMEAR_LENGTH, 0.0))
    left, top, right, _ = box
    assert find_smear(smeared[top : top + 40, left:right]) is None


@pytest.mark.parametrize(("seed", "quality"), [(1, 75), (2, 60), (4, 40)])
def test_the_block_grid_of_a_jpeg_is_no_smear(bank, seed: int, quality: int) -> None:
    """A JPEG's 8x8 blocks put a peak in the cepstrum 8 pixels out along its axes, which stands out
    on blurred writing (these were taken for smears 8 pixels long, level or upright)."""
    grey, box = _writing(bank, seed, ink="black", blur_sigma=1.1)
    jpeg = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
    assert find_smear(_crop(cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE), box)) is None


def test_a_smeared_jpegs_smear_is_found_past_its_block_grid(bank) -> None:
    """Smeared, the writing's fine detail is gone and the blocks' peak is the deepest: looked at,
    it hides the smear (and is itself no smear: the edges are as sharp along it as across)."""
    grey, box = _writing(bank, 2, ink="pencil")
    smeared = _smeared(grey, Smear(SMEAR_LENGTH, np.deg2rad(35)))
    jpeg = cv2.imencode(".jpg", smeared, [cv2.IMWRITE_JPEG_QUALITY, 75])[1]
    crop = _crop(cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE), box)
    assert find_smear(crop, block=0.0) is None  # (not told of the blocks)
    smear = find_smear(crop)
    assert smear is not None and abs(smear.length - SMEAR_LENGTH) <= 1.5
    assert abs(np.rad2deg(smear.angle) - 35) <= 8


def test_pen_strokes_of_one_width_are_no_smear() -> None:
    """Flat zeros drawn sharp with a pen 5 pixels wide on clean paper: the strokes' one width gives
    the cepstrum a peak like a smear's, across them, where the edges are strongest."""
    page = np.full((300, 700, 3), 235, np.uint8)
    for k in range(3):
        centre = (230 + k * 62, 180)
        cv2.ellipse(page, centre, (30, 20), 0, 0, 360, (40, 40, 120), 5, cv2.LINE_AA)
    grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    assert find_smear(grey[140:220, 180:440]) is None


def test_undoing_a_smear_brings_back_the_strokes_and_leaves_the_rest_of_the_photo(bank) -> None:
    grey, box = _writing(bank)
    smear = Smear(SMEAR_LENGTH, np.deg2rad(20))
    smeared = _smeared(grey, smear)
    sharper = unsmeared(smeared, smear, box)
    sharp = _crop(grey, box).astype(float)
    ink = sharp < 200

    def error(image: np.ndarray) -> np.ndarray:
        return np.abs(_crop(image, box) - sharp)

    # (smeared: 42 grey levels off on the strokes, 4.2 on the paper; undone: 18 and 4.6)
    assert error(sharper)[ink].mean() < 0.5 * error(smeared)[ink].mean()
    assert error(sharper)[~ink].mean() < 8
    outside = np.ones(grey.shape, bool)
    outside[box[1] : box[3], box[0] : box[2]] = False
    assert np.array_equal(sharper[outside], smeared[outside])


@pytest.mark.parametrize("shape", [(180, 720), (75, 90), (81, 125), (45, 75), (100, 99), (64, 64)])
def test_the_packed_spectra_unpack_to_the_complex_transforms(shape: tuple[int, int]) -> None:
    """The search takes OpenCV's packed transform of real arrays; unpacked, it is the complex one."""
    from recognizer.shake import _magnitude, _real_part

    pixels = np.random.default_rng(3).random(shape).astype(np.float32)
    whole = cv2.dft(pixels, flags=cv2.DFT_COMPLEX_OUTPUT)
    magnitude = cv2.magnitude(whole[..., 0], whole[..., 1])
    assert np.allclose(_magnitude(cv2.dft(pixels)), magnitude, rtol=1e-4, atol=1e-3)
    assert np.allclose(_real_part(cv2.dft(pixels)), whole[..., 0], rtol=1e-4, atol=1e-3)
