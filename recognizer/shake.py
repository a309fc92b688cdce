"""Step 1b of reading a photo: a shaking hand's smear, found on the writing and undone.

A photo taken with a shaking hand smears every stroke along one short line: a thin stroke across
the smear spreads over its length and fades below the ink's bars (a 1 is lost, a 4 loses its
stem), and neighbours run together. A smear of ``L`` pixels multiplies the photo's spectrum by a
sinc whose zeros repeat every ``1 / L`` along it, so the log of the spectrum ripples; the spectrum
of that (the cepstrum) has a deep negative peak ``L`` pixels from its middle, in the smear's
direction (Rom, 1975). It is looked for on the writing alone (a crop around the digits of a first
reading: paper has no spectrum to speak of) and taken as a smear when it stands out clearly
(SMEAR_CLARITY), at least MIN_SMEAR pixels long, off the peaks of a JPEG's block grid
(JPEG_BLOCK), and the writing's edges are weaker along it than across (SMEAR_EDGES: pen strokes
of one width give such a peak across them, where their edges are strongest). The smear is undone
by a Wiener deconvolution with a line that long, around the writing; the reader then reads the
sharper copy (:meth:`recognizer.reader.Recognizer._unshaken`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

# A peak of the cepstrum this many times its spread (its standard deviation within CEPSTRUM_RADIUS
# of the middle) below zero is a smear; on 100 photos of numbers as taken (``benchmarks/
# synthetic_photos.py``) the deepest such peak at least 4 pixels out measured -8.7 (5 pixels), on
# the 600 scanned cheques and 25 real single-digit photos -8.3 (3 pixels) and -4.4; on photos
# smeared 5 and 9 pixels long, -6.6 to -23 (scratch measurements). Shorter smears are left: at 5
# pixels the peak's direction was off by up to 30 degrees, and undoing them (MIN_SMEAR 4) misread
# 6 photos of 300 that read right smeared, and read 5 the other way.
SMEAR_CLARITY = -8.0
MIN_SMEAR = 6.0  # pixels
MAX_SMEAR = 30.0
CEPSTRUM_RADIUS = 40
# ... and only when the writing's edges along it are at most SMEAR_EDGES times as strong as across it
# (a smear blurs them that way alone). Pen strokes of one width, drawn sharp on clean paper, give
# the cepstrum a peak at that width too, across the strokes, where the edges are strongest: the
# drawn flat zeros of ``benchmarks/flat_zeros.py`` (pens 5 and 8 pixels wide) were taken for smears
# 7.6 and 9.8 pixels long, and 8 of them misread. Along / across the found direction (scratch
# measurements): flat zeros 0.73 to 1.80, 2 of 183 below 0.8; photos smeared 9 pixels 0.17 to
# 0.95, 41 of 44 below; smeared 7 pixels 0.26 to 1.08, 29 of 35.
SMEAR_EDGES = 0.8
# A JPEG's 8x8 blocks give the cepstrum peaks of their own, on its axes at multiples of their side
# (in the working copy's pixels: 8 over the photo's pixels per working pixel); those are no smear.
# (Photos of numbers as taken, JPEGs of quality 90 / 60 / 40 again: 2 / 7 / 13 of 80 taken for
# smeared 8 pixels level or upright without this, none with it; of 80 photos smeared 7 pixels at
# random angles, 22 of the 58 smears found without it were the grid's, 8 pixels level or upright,
# and 41 true smears are found with it.)
JPEG_BLOCK = 8.0
# The deconvolution's noise-to-signal ratio: how much it trusts the frequencies the smear nearly
# wiped out (lower sharpens more and rings more)
NOISE_TO_SIGNAL = 0.01
# Sub-pixel precision of the smear's line, in bits: a slanted smear is drawn as long as a level one
SUBPIXEL_BITS = 4


@dataclass(frozen=True)
class Smear:
    """A shaking hand's smear: ``length`` pixels along ``angle`` (radians from the x axis, y down)."""

    length: float
    angle: float

    def kernel(self) -> np.ndarray:
        """The smear as a convolution kernel: a line ``length`` long through the middle of an odd
        square, summing to 1."""
        side = int(np.ceil(self.length)) | 1
        middle, reach = side // 2, (self.length - 1) / 2
        step = np.array([np.cos(self.angle), np.sin(self.angle)]) * reach
        start, end = ((middle + sign * step) * 2**SUBPIXEL_BITS for sign in (-1, 1))
        kernel = np.zeros((side, side), np.float32)
        cv2.line(kernel, _point(start), _point(end), 1.0, 1, cv2.LINE_AA, SUBPIXEL_BITS)
        return kernel / kernel.sum()


def _point(xy: np.ndarray) -> tuple[int, int]:
    return round(float(xy[0])), round(float(xy[1]))


def find_smear(grey: np.ndarray, block: float = JPEG_BLOCK) -> Smear | None:
    """The smear on a grey crop of writing, when its cepstrum shows one clearly; else None.
    ``block``: the side of a JPEG's blocks in the crop's pixels (see JPEG_BLOCK)."""
    grey = _fast_sized(grey)
    rows, cols = grey.shape
    radius = min(CEPSTRUM_RADIUS, rows // 2 - 1, cols // 2 - 1)
    if radius < MAX_SMEAR:
        return None
    crop = grey.astype(np.float32)
    crop -= float(crop.mean())
    # (both transforms of real arrays, in OpenCV's packed form: a third of the time of its complex
    # output, the same values to 1 part in 10 million)
    log_magnitude = np.log(_magnitude(cv2.dft(crop * _hanning(rows, cols))) + 1e-3)
    # (the log magnitude is real and even: its forward transform is its inverse, times its size)
    dy, dx, distance, looked_at = _offsets(radius, block)
    near = _real_part(cv2.dft(log_magnitude))[np.ix_(dy[:, 0] % rows, dx[0] % cols)]
    spread = float(near[looked_at & (distance <= radius)].std())
    # (the cepstrum is symmetric: half of it is looked at)
    candidates = np.where(looked_at & (distance <= MAX_SMEAR) & (dy >= 0), near, np.inf)
    peak = np.unravel_index(int(np.argmin(candidates)), candidates.shape)
    length = float(distance[peak])
    if spread <= 0 or near[peak] / spread > SMEAR_CLARITY or length < MIN_SMEAR:
        return None
    angle = float(np.arctan2(dy[peak], dx[peak]) % np.pi)
    return Smear(length, angle) if _edges_along(grey, angle) < SMEAR_EDGES else None


def _unpacked(packed: np.ndarray) -> np.ndarray:
    """The whole (complex) spectrum of a real sequence from OpenCV's packed one (CCS: its real
    part, then the real and imaginary parts of each frequency up to the middle)."""
    length = len(packed)
    half = (length - 1) // 2
    spectrum = np.zeros(length, np.complex64)
    spectrum[0] = packed[0]
    spectrum[1 : half + 1] = packed[1 : 2 * half : 2] + 1j * packed[2 : 2 * half + 1 : 2]
    if length % 2 == 0:
        spectrum[length // 2] = packed[length - 1]
    spectrum[length - half :] = np.conj(spectrum[half:0:-1])
    return spectrum


def _from_packed(packed: np.ndarray, value: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``value`` (np.abs or np.real) of each frequency of a real 2-D array's spectrum, from OpenCV's
    packed form (CCS): columns 1 to the middle hold complex pairs; the first (and, for an even
    width, the last) column is a packed 1-D spectrum of its own; the other half mirrors the first
    (``F(m, n - k) = conj(F(-m, k))``)."""
    rows, cols = packed.shape
    half = (cols - 1) // 2
    out = np.empty((rows, cols), np.float32)
    pairs = packed[:, 1 : 2 * half : 2] + 1j * packed[:, 2 : 2 * half + 1 : 2]
    out[:, 1 : half + 1] = value(pairs)
    out[:, 0] = value(_unpacked(packed[:, 0]))
    if cols % 2 == 0:
        out[:, cols // 2] = value(_unpacked(packed[:, cols - 1]))
    out[:, cols - half :] = out[(-np.arange(rows)) % rows, half:0:-1]
    return out


def _magnitude(packed: np.ndarray) -> np.ndarray:
    """The magnitude of each frequency, from a real array's packed spectrum."""
    return _from_packed(packed, np.abs)


def _real_part(packed: np.ndarray) -> np.ndarray:
    """The real part of each frequency, from a real array's packed spectrum."""
    return _from_packed(packed, np.real)


@functools.lru_cache(maxsize=8)
def _hanning(rows: int, cols: int) -> np.ndarray:
    """The Hann window of a crop that size (kept: photos of one size are read one after another)."""
    window = cv2.createHanningWindow((cols, rows), cv2.CV_32F)
    window.flags.writeable = False
    return window


@functools.lru_cache(maxsize=8)
def _offsets(radius: int, block: float) -> tuple[np.ndarray, ...]:
    """The cepstrum's offsets from its middle within ``radius`` (dy, dx), their distance, and which
    are looked at: 3 or more pixels out, off the JPEG block grid (``block``)."""
    dy, dx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    distance = np.hypot(dy, dx)
    looked_at = (distance >= 3) & ~_block_grid(dy, dx, block)
    for grid in (dy, dx, distance, looked_at):
        grid.flags.writeable = False
    return dy, dx, distance, looked_at


def _edges_along(grey: np.ndarray, angle: float) -> float:
    """How strong the crop's edges are along ``angle`` (its brightness changing that way) against
    across it: the gradient's energy both ways."""
    pixels = grey.astype(np.float32)
    dx, dy = cv2.Sobel(pixels, cv2.CV_32F, 1, 0), cv2.Sobel(pixels, cv2.CV_32F, 0, 1)
    xx, yy, xy = float(np.sum(dx * dx)), float(np.sum(dy * dy)), float(np.sum(dx * dy))
    cos, sin = np.cos(angle), np.sin(angle)
    along = cos * cos * xx + 2 * cos * sin * xy + sin * sin * yy
    across = sin * sin * xx - 2 * cos * sin * xy + cos * cos * yy
    return along / max(across, 1e-9)


def _fast_sized(grey: np.ndarray) -> np.ndarray:
    """``grey`` trimmed about its middle to the nearest sides a Fourier transform is fast for
    (products of 2, 3 and 5: a side with a large prime factor took up to 100 times as long)."""
    rows, cols = (_fast_size_below(side) for side in grey.shape)
    top, left = (grey.shape[0] - rows) // 2, (grey.shape[1] - cols) // 2
    return grey[top : top + rows, left : left + cols]


def _fast_size_below(side: int) -> int:
    while side > 1 and cv2.getOptimalDFTSize(side) != side:
        side -= 1
    return side


def _block_grid(dy: np.ndarray, dx: np.ndarray, block: float) -> np.ndarray:
    """Where a JPEG's block grid puts peaks in the cepstrum: on its axes, at whole multiples of
    ``block`` (to the nearest pixel)."""
    if block < 1:
        return np.zeros(dy.shape, bool)
    along = np.abs(dy + dx)  # (on an axis, one of the two is 0)
    multiple = np.abs(along - block * np.round(along / block)) <= 0.5
    return ((dy == 0) | (dx == 0)) & (along > 0) & multiple


def unsmeared(grey: np.ndarray, smear: Smear, box: tuple[int, int, int, int]) -> np.ndarray:
    """A copy of ``grey`` whose ``box`` (left, top, right, bottom) is deconvolved of ``smear``
    (Wiener), the box mirrored at its edges so that the deconvolution does not wrap around."""
    left, top, right, bottom = box
    kernel = smear.kernel()
    pad = 2 * kernel.shape[0]
    rows, cols = bottom - top + 2 * pad, right - left + 2 * pad
    # (more of the mirrored border below and right, to sides the transform is fast for)
    below, right_of = cv2.getOptimalDFTSize(rows) - rows, cv2.getOptimalDFTSize(cols) - cols
    region = cv2.copyMakeBorder(
        grey[top:bottom, left:right], pad, pad + below, pad, pad + right_of, cv2.BORDER_REFLECT
    )
    # (about its mean: the deconvolution damps every frequency a little, the paper's light too)
    region = region.astype(np.float32)
    light = float(region.mean())
    region -= light
    # the kernel placed with its middle at the origin, as the transform expects
    spread = np.zeros_like(region)
    spread[: kernel.shape[0], : kernel.shape[1]] = kernel
    spread = np.roll(spread, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), (0, 1))
    photo = _complex(cv2.dft(region, flags=cv2.DFT_COMPLEX_OUTPUT))
    smearing = _complex(cv2.dft(spread, flags=cv2.DFT_COMPLEX_OUTPUT))
    restored = photo * np.conj(smearing) / (np.abs(smearing) ** 2 + NOISE_TO_SIGNAL)
    sharp = cv2.idft(
        np.stack([restored.real, restored.imag], axis=-1).astype(np.float32),
        flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT,
    )
    copy = grey.copy()
    sharp = sharp[pad : pad + bottom - top, pad : pad + right - left] + light
    copy[top:bottom, left:right] = np.clip(sharp, 0, 255).astype(np.uint8)
    return copy


def _complex(transform: np.ndarray) -> np.ndarray:
    return transform[..., 0] + 1j * transform[..., 1]
