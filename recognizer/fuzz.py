"""Broken and hostile inputs for the photo reader (used by the fuzz test and benchmark).

Each case is (name, bytes): random bytes, truncated JPEGs, 1x1 images, a PNG header claiming
40000x40000, blank, folded and all-black pages, a PDF, an animated GIF, noise photos, and mutated
copies of a real JPEG and of an iPhone-style HEIC. The reader must answer each with an ImageError
or a reading, quickly.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import numpy as np
from PIL import Image


def _encode(array: np.ndarray, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` with almost no pixel data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + payload))
        return struct.pack(">I", len(payload)) + kind + payload + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


def _animated_gif(rng: np.random.Generator) -> bytes:
    frames = [Image.fromarray(rng.integers(0, 255, (64, 64), np.uint8)) for _ in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def folded_page(darker: float, degrees: float, rng: np.random.Generator) -> bytes:
    """A blank 1280x960 page (JPEG), lit unevenly, folded once: a thin crease ``darker`` (a share)
    than the paper runs across it, edge to edge, at ``degrees``."""
    rows, cols = np.mgrid[0:960, 0:1280].astype(np.float32)
    paper = 215.0 * (1 - 0.15 * np.exp(-((cols - 900) ** 2 + (rows - 300) ** 2) / (2 * 250.0**2)))
    angle = np.deg2rad(degrees)
    across = np.abs((cols - 640) * np.sin(angle) - (rows - 480) * np.cos(angle))
    paper *= 1 - darker * np.exp(-(across**2) / (2 * 3.0**2))
    grey = np.clip(paper + rng.normal(0, 2, paper.shape), 0, 255).astype(np.uint8)
    return _encode(np.dstack([grey, grey, grey]), "JPEG", quality=85)


def fuzz_cases(count: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """``count`` hostile inputs, cycling through the kinds above."""
    rng, folds = np.random.default_rng(seed), np.random.default_rng([seed, 1])
    photo = np.full((480, 640, 3), 240, np.uint8)
    photo[200:260, 100:500] = rng.integers(0, 80, (60, 400, 3), np.uint8)
    base_jpeg = _encode(photo, "JPEG", quality=85)
    base_heic, heics = _heic(photo), np.random.default_rng([seed, 2])
    makers = [
        ("random bytes", lambda: rng.bytes(int(rng.integers(0, 5000)))),
        ("truncated jpeg", lambda: base_jpeg[: int(rng.integers(1, len(base_jpeg)))]),
        ("mutated jpeg", lambda: _mutate(base_jpeg, rng)),
        ("1x1 image", lambda: _encode(np.zeros((1, 1, 3), np.uint8))),
        ("40000x40000 png header", lambda: png_header(40000, 40000)),
        ("blank page", lambda: _encode(np.full((960, 1280, 3), 250, np.uint8), "JPEG")),
        # (with a generator of its own: the other kinds stay what they were before it was added)
        ("folded blank page", lambda: folded_page(folds.uniform(0.1, 0.35), folds.uniform(0, 180), folds)),
        ("all-black page", lambda: _encode(np.zeros((960, 1280, 3), np.uint8), "JPEG")),
        ("pdf", lambda: b"%PDF-1.7\n" + rng.bytes(2000)),
        ("animated gif", lambda: _animated_gif(rng)),
        ("noise photo", lambda: _encode(rng.integers(0, 255, (480, 640, 3), np.uint8), "JPEG")),
        ("thin strip", lambda: _encode(np.full((8, 4000, 3), 128, np.uint8))),
        ("empty", lambda: b""),
        ("mutated heic", lambda: _mutate(base_heic, heics)),
    ]
    for index in range(count):
        name, make = makers[index % len(makers)]
        yield name, make()


def _heic(photo: np.ndarray) -> bytes:
    from pillow_heif import from_pillow

    buffer = io.BytesIO()
    from_pillow(Image.fromarray(photo)).save(buffer, quality=85)
    return buffer.getvalue()


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    array = bytearray(data)
    for _ in range(int(rng.integers(1, 20))):
        array[int(rng.integers(0, len(array)))] = int(rng.integers(0, 256))
    return bytes(array)
