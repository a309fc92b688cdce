"""Step 1 of reading a photo: decode — bytes, a path or an array → upright RGB pixels.

Refuses what is not a photo (a PDF, random bytes, an empty file), what would cost too much to
decode (a PNG header claiming 40000x40000, an oversized file), and applies the EXIF orientation
that phone cameras record instead of rotating the pixels. An iPhone's own HEIC files (sent as a
file, or copied off the phone) are decoded by ``pillow-heif``, loaded only for them; AVIF by Pillow
itself. The photo is also shrunk to a working copy; ``scale`` maps working coordinates back to the
original. The reader asks for a JPEG's grey pixels alone (its stored brightness channel: three
times faster to decode than colour).
Every refusal is an :class:`ImageError` whose message is one plain sentence for the user.
"""

from __future__ import annotations

import functools
import io
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILE_BYTES = int(os.environ.get("HEY_NUMBER_MAX_IMAGE_BYTES", 30 * 1024 * 1024))
MAX_PIXELS = int(os.environ.get("HEY_NUMBER_MAX_IMAGE_PIXELS", 50_000_000))
WORKING_SIDE = int(os.environ.get("HEY_NUMBER_WORKING_SIDE", 1280))
MIN_WORKING_FRACTION = 0.5  # smaller pictures are enlarged to half the working side ...
MAX_ENLARGEMENT = 5.0  # ... by at most this factor
MIN_SIDE = 8
EXIF_ORIENTATION = 0x0112  # the EXIF tag saying how the stored pixels are turned
JPEG_END = b"\xff\xd9"  # the marker that ends a whole JPEG
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO", "HEIF", "AVIF"}
# An ISO media file's brands ("ftyp" at byte 4) of HEVC-coded HEIF: iPhones' HEIC photos and their
# bursts; "mif1" also heads other HEIF files (AVIF's own brand comes first there).
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}


class ImageError(ValueError):
    """The input cannot be read as a photo; the message is one sentence for the user."""


@dataclass(frozen=True)
class DecodedImage:
    """An upright photo, RGB (HxWx3) or grey (HxW), and its working copy (at most ``WORKING_SIDE``
    pixels on the long side)."""

    original: np.ndarray
    working: np.ndarray
    scale: float  # original pixels per working pixel
    # photo pixels per ``original`` pixel: a big JPEG is decoded at 1/2, 1/4 or 1/8 of its size
    # when that still leaves the working copy its full resolution (far cheaper than decoding all)
    full_scale: float = 1.0
    # for a working copy that is not the photo shrunk (a page flattened: :mod:`recognizer.flatten`),
    # the homography from its pixels to the photo's (``scale`` then only tells their sizes apart)
    to_photo: np.ndarray | None = None

    def photo_box(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box (x, y, w, h) of the working copy in the photo's pixels (around its corners' images)."""
        if self.to_photo is None:
            per_working = self.scale * self.full_scale
            x, y, w, h = (round(value * per_working) for value in box)
            return x, y, w, h
        return _bounding_box(_corners(*_edges(box)), self.to_photo)

    def negative(self) -> DecodedImage:
        """The photo's negative: light writing on a dark ground is dark on light there."""
        return replace(self, original=255 - self.original, working=255 - self.working)

    def working_box(self, edges: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A box (left, top, right, bottom) of the photo in the working copy's pixels (around its
        corners' images)."""
        if self.to_photo is None:
            per_working = self.scale * self.full_scale
            left, top, right, bottom = (value / per_working for value in edges)
            return left, top, right, bottom
        x, y, w, h = _bounding_box(_corners(*edges), np.linalg.inv(self.to_photo))
        return x, y, x + w, y + h


def _edges(box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    x, y, w, h = box
    return x, y, x + w, y + h


def _corners(left: float, top: float, right: float, bottom: float) -> np.ndarray:
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float64)


def _bounding_box(corners: np.ndarray, homography: np.ndarray) -> tuple[int, int, int, int]:
    """The box (x, y, w, h), in whole pixels, around ``corners`` mapped by ``homography``."""
    import cv2

    mapped = cv2.perspectiveTransform(corners[None], homography)[0]
    left, top = np.floor(mapped.min(axis=0))
    right, bottom = np.ceil(mapped.max(axis=0))
    return int(left), int(top), int(right - left), int(bottom - top)


def _open(source: bytes | str | Path) -> tuple[Image.Image, bytes]:
    """The image's header read (nothing decoded yet), and the file's bytes."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"There is no file at {path}.")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImageError(f"The file is larger than {MAX_FILE_BYTES // 2**20} MB.")
        source = path.read_bytes()
    if not source:
        raise ImageError("The file is empty.")
    if len(source) > MAX_FILE_BYTES:
        raise ImageError(f"The file is larger than {MAX_FILE_BYTES // 2**20} MB.")
    if source[:5] == b"%PDF-":
        raise ImageError("This is a PDF, not a photo; please send a photo or a screenshot of the page.")
    if source[4:8] == b"ftyp" and source[8:12] in HEIF_BRANDS:
        _read_heif_too()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("The image is too large; please send a normal photo.") from None
    except UnidentifiedImageError:
        raise ImageError("This file is not an image I can read; please send a JPEG or PNG photo.") from None
    except (OSError, ValueError, SyntaxError):
        raise ImageError("This image file is damaged and cannot be read.") from None
    return image, source


@functools.cache
def _read_heif_too() -> None:
    """Teach Pillow HEIF (once; importing the decoder costs about 60 ms, so only for such files).
    It turns the pixels upright by the file's own transforms and records the EXIF orientation as 1."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _draft_factor(size: tuple[int, int]) -> int:
    """1, 2, 4 or 8: the largest libjpeg DCT scaling that leaves the long side ``WORKING_SIDE``."""
    factor = 1
    while factor < 8 and max(size) // (factor * 2) >= WORKING_SIDE:
        factor *= 2
    return factor


def _draft_for_working_copy(image: Image.Image, full_size: bool) -> float:
    """Let a big JPEG decode at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) as long as its long
    side stays at least ``WORKING_SIDE`` (not when ``full_size``); returns photo pixels per decoded
    pixel."""
    width, height = image.size
    factor = 1 if full_size else _draft_factor(image.size)
    if image.format != "JPEG" or factor == 1:
        return 1.0
    image.draft("RGB", (-(-width // factor), -(-height // factor)))
    return max(width, height) / max(image.size)


def _to_pixels(
    image: Image.Image, data: bytes, full_size: bool = False, grey_jpeg: bool = False
) -> tuple[np.ndarray, float]:
    if image.format not in ACCEPTED_FORMATS:
        raise ImageError(
            f"{image.format or 'This'} files are not supported; please send a JPEG or PNG photo."
        )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"The image is too large ({width}x{height} pixels); please send a normal photo.")
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"The image is too small ({width}x{height} pixels) to hold a number.")
    if image.format in ("JPEG", "MPO") and data.rstrip(b"\0").endswith(JPEG_END):
        # (one cut short, without its end marker, Pillow refuses)
        return _jpeg_pixels(image, data, full_size, grey_jpeg and _read_as_decoded(image.size, full_size))
    try:
        image.seek(0)  # animated GIF / WebP: the first frame
        full_scale = _draft_for_working_copy(image, full_size)
        image.load()
        if image.getexif().get(EXIF_ORIENTATION, 1) != 1:  # (transposing copies even when upright)
            image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            image = image.convert("RGBA")
            white = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(white, image)
        return np.asarray(image if image.mode == "RGB" else image.convert("RGB")), full_scale
    except (OSError, ValueError, SyntaxError, EOFError):
        raise ImageError("This image file is damaged or incomplete and cannot be read.") from None


def _read_as_decoded(size: tuple[int, int], full_size: bool) -> bool:
    """Whether a JPEG of ``size`` decodes to pixels that are its working copy as they are, neither
    shrunk nor enlarged."""
    longest = max(size) // (1 if full_size else _draft_factor(size))
    return MIN_WORKING_FRACTION * WORKING_SIDE <= longest <= WORKING_SIDE


def _jpeg_pixels(
    image: Image.Image, data: bytes, full_size: bool = False, grey: bool = False
) -> tuple[np.ndarray, float]:
    """A whole JPEG decoded by OpenCV: turned upright by its EXIF orientation and, for a big photo,
    decoded at 1/2, 1/4 or 1/8 scale as :func:`_draft_for_working_copy` does. The same pixels as
    Pillow's, but straight into an array: Pillow's copy into numpy cost twice its decoding.
    ``grey``: the brightness channel alone (a third of the time: no colour planes to upsample
    and convert; within 1 of the RGB's grey, on one pixel in 60,000)."""
    import cv2

    # (the REDUCED_GRAYSCALE flags are the bare scale bits: grey alone, or with COLOR_RGB colour)
    scale_bits = {1: cv2.IMREAD_GRAYSCALE, 2: cv2.IMREAD_REDUCED_GRAYSCALE_2}
    scale_bits |= {4: cv2.IMREAD_REDUCED_GRAYSCALE_4, 8: cv2.IMREAD_REDUCED_GRAYSCALE_8}
    flags = scale_bits[1 if full_size else _draft_factor(image.size)]
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags if grey else flags | cv2.IMREAD_COLOR_RGB)
    if pixels is None:
        raise ImageError("This image file is damaged or incomplete and cannot be read.")
    return pixels, max(image.size) / max(pixels.shape[:2])


def _from_array(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ImageError(f"An image array must be HxW, HxWx3 or HxWx4, not {array.shape}.")
    if array.dtype != np.uint8:
        raise ImageError(f"An image array must be uint8, not {array.dtype}.")
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise ImageError("The image is too large.")
    if min(array.shape[:2]) < MIN_SIDE:
        raise ImageError("The image is too small to hold a number.")
    return np.ascontiguousarray(array[..., :3])


def working_copy(rgb: np.ndarray, side: int = WORKING_SIDE) -> tuple[np.ndarray, float]:
    """Shrink so the long side is at most ``side``, or enlarge a small scan or crop so its long
    side is at least ``MIN_WORKING_FRACTION`` of it (the ink and line finders are tuned for
    photo-sized pictures); returns the copy and the original/working scale."""
    longest = max(rgb.shape[:2])
    smallest_working = int(MIN_WORKING_FRACTION * side)
    if longest > side:
        scale = longest / side
    elif longest < smallest_working:
        scale = max(longest / smallest_working, 1 / MAX_ENLARGEMENT)
    else:
        return rgb, 1.0
    return resized(rgb, scale), scale


def resized(rgb: np.ndarray, scale: float) -> np.ndarray:
    """``rgb`` with ``scale`` of its pixels to one of the copy's: shrunk (``scale`` > 1) or
    enlarged (cubic interpolation)."""
    import cv2

    # averaging (INTER_AREA) matters when shrinking a lot; below 2x it costs 6x more for nothing
    interpolation = cv2.INTER_CUBIC if scale < 1 else cv2.INTER_AREA if scale >= 2 else cv2.INTER_LINEAR
    size = (round(rgb.shape[1] / scale), round(rgb.shape[0] / scale))
    return cv2.resize(rgb, size, interpolation=interpolation)


def decode(
    source: bytes | str | Path | np.ndarray, full_size: bool = False, grey_jpeg: bool = False
) -> DecodedImage:
    """Decode a photo given as file bytes, a path, or an RGB(A)/grey uint8 array; ``full_size``:
    every pixel of a big JPEG too (by default it is decoded only as large as the working copy
    needs); ``grey_jpeg``: a JPEG decoded at its working size to its grey pixels alone (HxW).
    Other images stay RGB, made grey after any resizing as before: resizing grey pixels rounds
    differently, and the reader's thresholds turn such rounding into other readings."""
    if isinstance(source, np.ndarray):
        pixels, full_scale = _from_array(source), 1.0
    else:
        pixels, full_scale = _to_pixels(*_open(source), full_size=full_size, grey_jpeg=grey_jpeg)
    working, scale = working_copy(pixels)
    return DecodedImage(original=pixels, working=working, scale=scale, full_scale=full_scale)
