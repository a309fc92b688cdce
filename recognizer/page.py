"""Part of step 2, finding the ink: the page — a sheet or note lying in the photo on a darker,
textured surface (a wooden desk, a tablecloth), and that surface around it, which holds no writing.

The ink finder takes as ink whatever is darker than the paper around it; a textured surface is
blotches of it, and those blotches along the page's edges read as 1s, and set the bar for certain
ink so high that faint pencil on the page is lost. A solid, dark surround is found by the ink
finder itself (:func:`recognizer.ink._surround`); a grainy, lighter one is found here, from the
photo's brightness: on a copy PAGE_SIDE pixels long and median-smoothed (the writing gone), the
page is grown from its brightest part, step by step to neighbours at most PAGE_STEP of its light
apart: across a page's gradual shading, never across its edge, where the light falls at once.
It counts as a page lying on a surface only if everything below holds, so that a page filling the
photo, a shadow or a vignette never hides writing:

- it covers PAGE_SHARE of the photo, the rest reaches all four sides of the photo, and it runs off
  one side at most (covers OFF_PHOTO of it). On 5 of the 600 scanned cheques a bright part has a
  sharp edge (the printed field's lines, a darker half): each runs off two or three sides. Of the
  116 synthetic pages found on a desk among the misread photos, 2 run off one (scratch scripts);
- it is convex (PAGE_SOLIDITY of its hull), as a sheet seen by a camera is;
- its edge is a step: just outside it, the light is at least PAGE_EDGE_STEP lower than just inside;
- the surface, away from the page's edge, covers SURFACE_SHARE of the photo (those cheques' box
  lines 0.6-2%; the synthetic photos' desks 5.6% and more), and it is textured: at least
  SURFACE_INK of it is weak "ink" (a smooth surface has no blotches, and the ink finder's own
  surround finds it).

A hard shadow across the page (a phone or a hand under a lamp) stops the page's growth at its edge
too. The paper beyond it is as even, and as fine-grained, as the page (:func:`_shaded_paper`): it
is the page's, and stays, with the shadow's edge between. 200 photos with a shadow across half
the number (``benchmarks/synthetic_photos.py --count 200 --shadow 0.3``) read 61.5% exactly, 60%
before the page was looked for, and 28% with a first version of this module (not committed) that
took all but the lit part of the page for the surface.

Before any of this, the reader asks here for the corners of a page lying wholly in the photo
(:func:`page_corners`), to flatten a page photographed at a slant (:mod:`recognizer.flatten`).
"""

from __future__ import annotations

import cv2
import numpy as np

PAGE_SIDE = 160  # pixels: the long side of the copy the page is looked for on
PAGE_SMOOTHING = 5  # median filter side, pixels of the shrunk copy: wider than most pens' strokes there
PAGE_STEP = 0.03
PAGE_SHARE = (0.2, 0.95)
PAGE_SOLIDITY = 0.97
OFF_PHOTO = 0.1  # a page runs off a side of the photo when it covers this share of it
PAGE_EDGE_STEP = 0.15
SURFACE_SHARE = 0.03
SURFACE_INK = 0.1
SHADED_SHARE = 0.02
SHADED_GRAIN = 1.2
EDGE_BAND = 2  # pixels of the shrunk copy each side of the page's edge: its blur, its shadow
# The corners of a page lying wholly in the photo (:func:`page_corners`): the bright side of the
# smoothed copy's Otsu split that holds its brightest part, its outline cut to four corners
# (CORNER_TOLERANCE of its length), each side then fitted with a line through its middle
# (SIDE_MIDDLE of it; the median filter rounds the corners) and the corners put where those meet,
# at most CORNER_SHIFT pixels (of the shrunk copy) from the cut's.
CORNER_TOLERANCE = 0.03
SIDE_MIDDLE = 0.6
CORNER_SHIFT = 4.0


def page_halving(shape: tuple[int, ...]) -> int:
    """How many times smaller (a power of 2) the photo's grey pixels are handed to
    :func:`surface_around_page`: halved while twice PAGE_SIDE long or more (on OpenCV's fast path
    for exact halves, the ink finder's 8-bit halvings; one resize of the whole photo by 8 cost ten
    times as much), never to nothing."""
    rows, cols = shape[:2]
    factor = 1
    while max(rows, cols) >= 2 * PAGE_SIDE and min(rows, cols) >= 2:
        rows, cols, factor = rows // 2, cols // 2, 2 * factor
    return factor


def surface_around_page(halved: np.ndarray, weak: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """0/255 mask, of the photo's ``shape``, of the surface around a page lying in the photo (with
    the page's edge), or None when the photo shows no such page. ``halved``: the photo's grey
    pixels :func:`page_halving` times smaller; ``weak``: its weak-ink mask, at any scale."""
    small = _shrunk(halved)
    if min(small.shape) < 4 * PAGE_SMOOTHING:
        return None
    smooth = cv2.medianBlur(small, PAGE_SMOOTHING)
    page = _grown_page(smooth)
    if page is None or not _sharp_edged(smooth, page):
        return None
    inked = cv2.resize(weak, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA) > 0
    # the paper: the page, with its part beyond a shadow's edge (the edge itself, no even ground,
    # closed; the writing across it, holes, filled)
    paper = cv2.bitwise_or(page, _shaded_paper(small, smooth, page))
    closing = np.ones((2 * EDGE_BAND + 3, 2 * EDGE_BAND + 3), np.uint8)
    paper = _filled(cv2.morphologyEx(paper, cv2.MORPH_CLOSE, closing) > 0)
    band = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * EDGE_BAND + 1, 2 * EDGE_BAND + 1))
    surface = cv2.bitwise_not(cv2.erode(paper, band))  # (the paper's edge is surface too)
    away = cv2.bitwise_not(cv2.dilate(paper, band)) > 0
    area = np.count_nonzero(away)
    if area < SURFACE_SHARE * away.size or np.count_nonzero(inked & away) < SURFACE_INK * area:
        return None
    return cv2.resize(surface, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)


def _shrunk(halved: np.ndarray) -> np.ndarray:
    """The photo's ``halved`` grey pixels resized to PAGE_SIDE on their long side (each pixel its
    area's average): the page is looked for at one scale whatever the photo's, so that a photo read
    again at twice the size finds the same page (at a fixed 8 times smaller, a desk's grain was as
    fine as the paper's in the twice-enlarged look, and read as digits there)."""
    rows, cols = halved.shape[:2]
    scale = PAGE_SIDE / max(rows, cols)
    size = (max(1, round(cols * scale)), max(1, round(rows * scale)))
    return cv2.resize(halved, size, interpolation=cv2.INTER_AREA)


def _grown(smooth: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """0/255 mask of the region grown from ``seed`` (x, y) to neighbours at most PAGE_STEP of its
    light apart, its holes filled."""
    tolerance = max(1, round(PAGE_STEP * float(smooth[seed[1], seed[0]])))
    grown = np.zeros((smooth.shape[0] + 2, smooth.shape[1] + 2), np.uint8)
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
    cv2.floodFill(smooth, grown, seed, 0, tolerance, tolerance, flags)
    return _filled(grown[1:-1, 1:-1] == 255)


def _filled(region: np.ndarray) -> np.ndarray:
    """0/255 mask of ``region`` (booleans) with its holes filled: what the photo's frame cannot
    reach without crossing it."""
    outside = np.pad(np.where(region, 0, 1).astype(np.uint8), 1, constant_values=1)
    cv2.floodFill(outside, None, (0, 0), 2)  # the outside reached from the frame; the rest, holes
    return np.where(outside[1:-1, 1:-1] == 2, 0, 255).astype(np.uint8)


def _grown_page(smooth: np.ndarray) -> np.ndarray | None:
    """0/255 mask of the region grown from the brightest part of ``smooth``, when it has a page's
    share and shape and lies in the photo; else None."""
    _, _, _, seed = cv2.minMaxLoc(cv2.blur(smooth, (2 * PAGE_SMOOTHING + 1, 2 * PAGE_SMOOTHING + 1)))
    page = _grown(smooth, seed)
    area = cv2.countNonZero(page)
    if not PAGE_SHARE[0] * page.size <= area <= PAGE_SHARE[1] * page.size:
        return None
    rest = page == 0
    if not (rest[0].any() and rest[-1].any() and rest[:, 0].any() and rest[:, -1].any()):
        return None
    sides = (page[0], page[-1], page[:, 0], page[:, -1])
    if sum(np.count_nonzero(side) >= OFF_PHOTO * side.size for side in sides) > 1:
        return None  # (a page runs off one side of the photo at most: the surface frames it)
    contours, _ = cv2.findContours(page, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    return page if area >= PAGE_SOLIDITY * cv2.contourArea(hull) else None


def _shaded_paper(small: np.ndarray, smooth: np.ndarray, page: np.ndarray) -> np.ndarray:
    """0/255 mask of the even regions just past the page's edge, as fine-grained as the page's
    paper, that cover SHADED_SHARE of the photo: the page's own paper beyond a shadow's edge (or a
    smooth surface, which has no blotches to hide). Even: on the smoothed copy, no pixel there
    differs from its neighbours by more than PAGE_STEP of the page's light, as the page was grown;
    as fine-grained: on the shrunk copy ``small``, the median difference between neighbours at most
    SHADED_GRAIN times the page's (the writing in it a minority of its pixels). A grainy desk may be
    as even once smoothed, but not as fine: 5-8% of the page's light against the page's 1.5-2%, a
    smoother desk's 2.3-3.3% (1.24-1.74 times the page's), a shaded corner of a page 1.1% (0.65
    times; misread ``--large`` and ``--shadow`` photos, by a scratch script). (At 2 times, a brown
    desk's blotches were read as digits again.)"""
    light = float(np.median(smooth[page > 0]))
    ring = np.ones((3, 3), np.uint8)
    even = cv2.morphologyEx(smooth, cv2.MORPH_GRADIENT, ring) <= PAGE_STEP * light
    even_ground = np.where(even & (page == 0), 255, 0).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(even_ground, connectivity=4)
    # (the page's edge itself is no even ground: the regions beside it begin a few pixels out)
    near = cv2.dilate(page, np.ones((2 * EDGE_BAND + 3, 2 * EDGE_BAND + 3), np.uint8)) > 0
    candidates = np.unique(labels[near])
    wide = stats[candidates, cv2.CC_STAT_AREA] >= SHADED_SHARE * page.size
    candidates = candidates[(candidates > 0) & wide]
    shaded = np.zeros_like(page)
    if not candidates.size:
        return shaded
    grain = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, ring)
    paper_grain = max(1.0, float(np.median(grain[page > 0])))
    for label in candidates:
        region = labels == label
        if np.median(grain[region]) <= SHADED_GRAIN * paper_grain:
            shaded[region] = 255
    return shaded


def _sharp_edged(smooth: np.ndarray, page: np.ndarray) -> bool:
    """Whether the light just outside ``page`` is at least PAGE_EDGE_STEP lower than just inside."""
    ring = np.ones((3, 3), np.uint8)
    inside = (page > 0) & (cv2.erode(page, ring, borderType=cv2.BORDER_REPLICATE) == 0)
    outside = (page == 0) & (cv2.dilate(page, ring) > 0)
    if not inside.any() or not outside.any():
        return False
    light = float(smooth[inside].mean())
    return float(smooth[outside].mean()) <= (1 - PAGE_EDGE_STEP) * light


def page_corners(halved: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """The four corners (x, y, in the coordinates of a photo of ``shape``; clockwise round the
    page from the one nearest the photo's top-left) of a page that lies wholly in the photo, its
    edge a step in the light (as :func:`surface_around_page` asks); None when there is no such
    page. ``halved``: the photo's grey pixels :func:`page_halving` times smaller."""
    small = _shrunk(halved)
    if min(small.shape) < 4 * PAGE_SMOOTHING:
        return None
    smooth = cv2.medianBlur(small, PAGE_SMOOTHING)
    page = _bright_side(smooth)
    area = cv2.countNonZero(page)
    if not PAGE_SHARE[0] * page.size <= area <= PAGE_SHARE[1] * page.size:
        return None
    if page[0].any() or page[-1].any() or page[:, 0].any() or page[:, -1].any():
        return None  # (a page running off the photo has no corners there)
    contours, _ = cv2.findContours(page, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea)
    hull = cv2.convexHull(outline)
    if area < PAGE_SOLIDITY * cv2.contourArea(hull) or not _sharp_edged(smooth, page):
        return None
    if _inside_photo(_shaded_paper(small, smooth, page)):
        return None  # (the split ended at a shadow's edge: the page runs on in its shade)
    cut = cv2.approxPolyDP(hull, CORNER_TOLERANCE * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(cut) != 4:
        return None
    corners = _met_sides(outline.reshape(-1, 2).astype(np.float32), cut.astype(np.float32))
    if corners is None:
        return None
    corners = (corners + 0.5) * (shape[1] / small.shape[1]) - 0.5  # (pixel centres to the photo's)
    return _clockwise_from_top_left(corners)


def _bright_side(smooth: np.ndarray) -> np.ndarray:
    """0/255 mask of the region, on the bright side of ``smooth``'s Otsu split, that holds its
    brightest part, holes filled."""
    _, bright = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, labels = cv2.connectedComponents(bright, connectivity=4)
    _, _, _, seed = cv2.minMaxLoc(cv2.blur(smooth, (2 * PAGE_SMOOTHING + 1, 2 * PAGE_SMOOTHING + 1)))
    label = labels[seed[1], seed[0]]
    return _filled(labels == label) if label else np.zeros_like(smooth)


def _inside_photo(mask: np.ndarray) -> bool:
    """Whether any region of the 0/255 ``mask`` keeps off the photo's border (even ground past a
    page lying wholly in the photo that reaches the border is a smooth surface, not its paper)."""
    count, labels = cv2.connectedComponents(mask)
    edges = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    return len(np.setdiff1d(np.arange(1, count), edges)) > 0


def _met_sides(outline: np.ndarray, cut: np.ndarray) -> np.ndarray | None:
    """The corners where lines fitted to the outline's four sides meet (the sides: the outline
    between the ``cut``'s corners, their middle SIDE_MIDDLE alone); None when a side is too short
    to fit or a corner moves more than CORNER_SHIFT."""
    at = [int(np.argmin(np.hypot(*(outline - corner).T))) for corner in cut]
    order = np.argsort(at)
    at, cut = [at[k] for k in order], cut[order]
    centre = cut.mean(axis=0)
    lines = []
    for k in range(4):
        start, end = at[k], at[(k + 1) % 4]
        side = outline[start : end + 1] if start <= end else np.vstack([outline[start:], outline[: end + 1]])
        trim = int(len(side) * (1 - SIDE_MIDDLE) / 2)
        middle = side[trim : len(side) - trim]
        if len(middle) < 2:
            return None
        vx, vy, x0, y0 = cv2.fitLine(middle, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        # (the outline runs through the page's outermost pixels' centres: its edge is half a pixel out)
        outward = np.array([vy, -vx]) if np.dot([vy, -vx], [x0, y0] - centre) > 0 else np.array([-vy, vx])
        lines.append((np.array([x0, y0]) + 0.5 * outward, np.array([vx, vy])))
    corners = where_sides_meet(lines)
    return corners if corners is not None and np.abs(corners - cut).max() <= CORNER_SHIFT else None


def where_sides_meet(sides: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray | None:
    """The four corners of a quadrilateral whose sides (each a point on it and its direction, a
    vector at least a unit long) are given in order round it: corner k where side k - 1 meets side
    k; None where two neighbouring sides run (nearly) parallel."""
    corners = []
    for k in range(4):
        (point, direction), (other, other_direction) = sides[k - 1], sides[k]
        across = np.array([direction, -other_direction]).T
        if abs(np.linalg.det(across)) < 1e-3:
            return None
        corners.append(point + np.linalg.solve(across, other - point)[0] * direction)
    return np.array(corners, np.float32)


def _clockwise_from_top_left(corners: np.ndarray) -> np.ndarray:
    """The four corners in order round the page, clockwise as seen (y runs down), from the one
    nearest the photo's top-left: never in a crossed order, which would mirror the page."""
    middle = corners.mean(axis=0)
    around = corners[np.argsort(np.arctan2(corners[:, 1] - middle[1], corners[:, 0] - middle[0]))]
    return np.roll(around, -int(np.argmin(around.sum(axis=1))), axis=0)
