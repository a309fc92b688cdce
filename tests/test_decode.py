"""Decoding photos: formats, EXIF orientation, transparency, and refusals of bad input."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from recognizer.decode import ImageError, decode, working_copy
from recognizer.fuzz import png_header


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _marked_photo() -> Image.Image:
    """A 120x80 white photo with a black square near the top-left corner."""
    pixels = np.full((80, 120, 3), 255, np.uint8)
    pixels[5:25, 5:25] = 0
    return Image.fromarray(pixels)


def test_jpeg_bytes_and_path_decode_to_rgb(tmp_path) -> None:
    data = _encode(_marked_photo(), "JPEG", quality=95)
    decoded = decode(data)
    assert decoded.original.shape == (80, 120, 3) and decoded.original.dtype == np.uint8
    assert decoded.original[15, 15].max() < 60 and decoded.original[60, 100].min() > 200
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    np.testing.assert_array_equal(decode(path).original, decoded.original)


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90° clockwise turn, as iPhones write it
    decoded = decode(_encode(_marked_photo(), "JPEG", quality=95, exif=exif.tobytes()))
    assert decoded.original.shape == (120, 80, 3)
    # the mark at the top-left of the stored pixels is now at the top-right
    assert decoded.original[15, 80 - 15].max() < 60 and decoded.original[15, 15].min() > 200


@pytest.mark.parametrize("size", [(120, 80), (2800, 1800)])  # the big one is decoded at half scale
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_turns_the_photo_as_pillow_does(orientation: int, size: tuple) -> None:
    rng = np.random.default_rng(orientation)
    stored = Image.fromarray(rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), np.uint8)).resize(size)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(stored, "JPEG", quality=90, exif=exif.tobytes())
    expected = Image.open(io.BytesIO(data))
    expected.draft("RGB", (size[0] // 2, size[1] // 2) if size[0] > 2560 else size)
    expected = np.asarray(ImageOps.exif_transpose(expected))
    decoded = decode(data)
    np.testing.assert_array_equal(decoded.original, expected)
    assert decoded.full_scale == (2.0 if size[0] > 2560 else 1.0)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_iphone_heic_and_avif_photos_decode_upright(fmt: str) -> None:
    """An iPhone's HEIC (sent as a file, or copied off the phone) and an AVIF, each stored turned
    with the EXIF orientation saying so, decode upright; cut short, either is a plain refusal."""
    import pillow_heif

    exif = Image.Exif()
    exif[0x0112] = 6
    if fmt == "HEIF":  # (written without teaching Pillow HEIF: decode must do that itself)
        buffer = io.BytesIO()
        pillow_heif.from_pillow(_marked_photo()).save(buffer, quality=90, exif=exif.tobytes())
        data = buffer.getvalue()
    else:
        data = _encode(_marked_photo(), fmt, quality=90, exif=exif.tobytes())
    decoded = decode(data)
    assert decoded.original.shape == (120, 80, 3)
    assert decoded.original[15, 80 - 15].max() < 60 and decoded.original[15, 15].min() > 200
    with pytest.raises(ImageError, match=r"^This .*\.$"):
        decode(data[: len(data) // 2])


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk_jpegs_decode_to_rgb(mode: str) -> None:
    data = _encode(_marked_photo().convert(mode), "JPEG", quality=95)
    decoded = decode(data)
    assert decoded.original.shape == (80, 120, 3)
    assert decoded.original[15, 15].max() < 60 and decoded.original[60, 100].min() > 200


def test_transparent_png_is_put_on_white() -> None:
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[10:20, 10:20] = (0, 0, 0, 255)
    decoded = decode(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert decoded.original[0, 0].tolist() == [255, 255, 255]
    assert decoded.original[15, 15].tolist() == [0, 0, 0]


def test_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("L", (30, 30), 255), Image.new("L", (30, 30), 0)]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert decode(data).original.min() > 200


def test_large_photo_gets_a_working_copy_and_scale() -> None:
    rgb = np.full((3000, 4000, 3), 255, np.uint8)
    decoded = decode(rgb)
    assert max(decoded.working.shape[:2]) == 1280 and decoded.scale == pytest.approx(4000 / 1280)
    same, scale = working_copy(np.zeros((480, 640, 3), np.uint8))
    assert same.shape == (480, 640, 3) and scale == 1.0


def test_a_big_jpeg_is_decoded_smaller_but_still_at_working_resolution() -> None:
    pixels = np.full((3000, 4000, 3), 255, np.uint8)
    pixels[1000:1400, 2000:2400] = 0
    decoded = decode(_encode(Image.fromarray(pixels), "JPEG", quality=90))
    assert decoded.original.shape == (1500, 2000, 3) and decoded.full_scale == 2.0  # libjpeg at 1/2
    assert max(decoded.working.shape[:2]) == 1280
    assert decoded.original[600, 1100].max() < 60 and decoded.original[400, 400].min() > 200
    # not for PNG (no cheap scaled decoding), nor when 1/2 would fall below the working size
    assert decode(_encode(Image.fromarray(pixels[:1000, :1500]), "PNG")).full_scale == 1.0
    assert decode(_encode(Image.fromarray(pixels[:1500, :2000]), "JPEG")).full_scale == 1.0


def test_a_big_jpeg_is_decoded_whole_when_asked() -> None:
    pixels = np.full((3000, 4000, 3), 255, np.uint8)
    pixels[1000:1400, 2000:2400] = 0
    decoded = decode(_encode(Image.fromarray(pixels), "JPEG", quality=90), full_size=True)
    assert decoded.original.shape == (3000, 4000, 3) and decoded.full_scale == 1.0
    assert decoded.original[1200, 2200].max() < 60 and decoded.original[800, 800].min() > 200


def test_small_scans_are_enlarged_at_most_five_times() -> None:
    scan, scale = working_copy(np.zeros((57, 131, 3), np.uint8))  # a scanned cheque amount
    assert scan.shape[:2] == (278, 640) and scale == pytest.approx(131 / 640)
    crop, scale = working_copy(np.zeros((85, 67, 3), np.uint8))
    assert crop.shape[:2] == (425, 335) and scale == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "PDF"),
        (bytes(range(256)) * 8, "not an image"),
        (png_header(40000, 40000), "too large"),
        (png_header(1, 1), "too small"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 30, "not an image"),
    ],
)
def test_bad_inputs_are_refused_in_a_sentence(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message) as caught:
        decode(data)
    assert str(caught.value).endswith(".")


def test_truncated_jpeg_is_refused() -> None:
    data = _encode(
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8)), "JPEG"
    )
    with pytest.raises(ImageError, match="damaged"):
        decode(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((10, 10, 2), np.uint8), "HxW"),
        (np.zeros((10, 10, 3), np.float32), "uint8"),
        (np.zeros((4, 4), np.uint8), "too small"),
    ],
)
def test_bad_arrays_are_refused(array: np.ndarray, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        decode(array)


@pytest.mark.parametrize("size", [(800, 640), (1280, 960)])
@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_grey_decoding_turns_and_scales_the_photo_as_colour_decoding_does(
    orientation: int, size: tuple
) -> None:
    # the reader decodes a JPEG's brightness channel alone: the same picture as the colour one's grey
    stored = np.full((size[1], size[0], 3), 235, np.uint8)
    stored[size[1] // 10 : size[1] // 3, size[0] // 10 : size[0] // 4] = (30, 40, 140)  # blue ink
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(Image.fromarray(stored), "JPEG", quality=90, exif=exif.tobytes())
    colour, grey = decode(data), decode(data, grey_jpeg=True)
    assert grey.original.shape == colour.original.shape[:2] and grey.full_scale == colour.full_scale
    assert grey.working.shape == colour.working.shape[:2] and grey.scale == colour.scale
    # (within a few levels, only at the ink's edges: the colour's chroma is subsampled and clipped)
    difference = np.abs(grey.original.astype(int) - cv2.cvtColor(colour.original, cv2.COLOR_RGB2GRAY))
    assert difference.max() <= 4 and difference.mean() < 0.05


def test_only_a_jpeg_read_at_its_decoded_size_is_decoded_grey() -> None:
    # (other photos are made grey from their colour after resizing, as before: a small JPEG or a
    # PNG enlarged, a big JPEG shrunk)
    rgb = np.random.default_rng(3).integers(0, 256, (60, 90, 3), np.uint8)
    np.testing.assert_array_equal(decode(_encode(Image.fromarray(rgb), "PNG"), grey_jpeg=True).original, rgb)
    np.testing.assert_array_equal(decode(rgb, grey_jpeg=True).original, rgb)
    for size, grey in (((90, 60), False), ((900, 600), True), ((1280, 960), True), ((2800, 1800), False)):
        photo = _encode(Image.fromarray(cv2.resize(rgb, size)), "JPEG")
        assert decode(photo, grey_jpeg=True).original.ndim == (2 if grey else 3)
