"""Step 2a of reading a photo: the paper's light past a hard shadow's edge.

The ink finder measures ink against the paper's local light, a max-filter wide enough to swallow
pen strokes (:func:`recognizer.ink.paper_brightness`). Past the edge of a hard shadow (a phone or
a hand between the lamp and the page) the max-filter spills the lit side's light over the paper
in shade: a band of "dark paper" along the edge, weak ink to the ink finder, which reaches the
photo's border and is taken for the surface around the page, with the digits it touches (77 of
200 synthetic photos with a shadow 30% deep were misread, nearly all for digits missing at the
shadow's edge).

A median over a wider window (SHADE_WINDOW times the max-filter's) keeps an edge where it is and
ignores writing that covers less than half of it. Where it is clearly lower than the max-filter's
light (SHADE_STEP) and bright enough to be paper (SHADE_SHARES of the page's light, below), it is
the paper's light, in each region of such pixels that

* is not mostly dark ink (SHADE_INK): dense writing lowers a median too;
* has, just past it on its dark side, paper about as fine-grained, for its light, as the lit
  paper (its grain, the difference between neighbours on a copy GRAIN_SIDE pixels long, over its
  light, at most SHADED_GRAIN times the lit paper's): the page's own paper in shade, not a desk
  past the page's edge, whose band must stay the surface around the page. A grey desk 55-67% as
  bright as the page and the benchmark's shadows, 65-69%, are not told apart by their light; by
  that grain the shaded paper measured 0.95-1.54 times the lit paper's, the desks whose bands
  were lost 1.49-3.6 (scratch measurements on misread photos of the benchmarks). (Compared
  without dividing by the light, as :mod:`recognizer.page` compares a page's paper in shade,
  at 1.2 times: 3 more shadowed photos read, but a smooth grey desk read as the digits "3311167".)
  The grain is measured in fractions of a grey level: in whole levels, a median of 2 or 3 decided
  it, and a shadow 45% deep measured 1.81-1.94 against a grey desk's 1.68 (1.29-1.55 and 1.82 in
  fractions);

and only on photos at least SHADE_ROOM windows across: a tight crop of writing (a scanned amount)
or a close-up is mostly ink in any window.

Bright enough is first 55% of the page's light, then, of what is left, 40%: a shadow 45% deep
leaves its paper at about 55%, and at 55% alone only its edge was taken (photos with such a
shadow: 30 of 200 read, 15 without this step). At 40% alone, a lighter shadow's band joined the
darker desk past it into one region, whose paper beyond was the desk's (shadows 30% deep: 147
read against 165).

Within the max-filter's side of a region so kept, the paper's light is the lower of the median's
and the max-filter's: the median, enlarged from its copy half as long, blurs the shadow's edge,
and the paper along it, lighter than the light it was measured against, was a band of "dark
paper" that took the digits on the edge with it (photos of validation digits with a shadow 45%
deep: 194 of 300 read with the median in the regions alone; within 2, 4, 6, 8 and 12 pixels of
the 4x smaller copy 197, 210, 221, 230 and 224; within the side, 9 pixels on a 1280x960 photo,
228).
"""

from __future__ import annotations

import cv2
import numpy as np

SHADE_WINDOW = 3
SHADE_STEP = 0.15
SHADE_SHARES = (0.55, 0.4)
SHADE_INK = 0.15
SHADE_ROOM = 6
SHADED_GRAIN = 1.6
GRAIN_SIDE = 160  # pixels: the copy whose grain is compared, whatever the photo's size
LIT = 0.9  # the lit paper: at least this share of the page's light
BEYOND = 1.5  # windows: how far past a region its dark side is looked at ...
LEAST_BEYOND = 50  # ... and how many of its pixels (on the 4x smaller copy) it needs


def paper_in_shade(small: np.ndarray, paper: np.ndarray, side: int, strong: float, weak: float) -> np.ndarray:
    """The paper's light ``paper`` (a smoothed max-filter, ``side`` pixels wide, of the 8-bit grey
    copy ``small``), with the median's light wherever the paper lies in a hard shadow's shade; ink is
    ``strong`` and ``weak`` darker than the paper (the ink finder's bars). (The median is taken on
    a copy half as long and enlarged again: on ``small`` itself it cost 2-3 ms.)"""
    window = min(SHADE_WINDOW * side, 255) | 1
    if SHADE_ROOM * window > min(small.shape[:2]):  # a crop of writing, or a close-up
        return paper
    size = (small.shape[1], small.shape[0])
    half = cv2.resize(small, (size[0] // 2, size[1] // 2), interpolation=cv2.INTER_AREA)
    median = cv2.resize(cv2.medianBlur(half, window // 2 | 1), size, interpolation=cv2.INTER_LINEAR)
    light = percentile(paper[::2, ::2], 95)
    kept = np.zeros(small.shape[:2], bool)
    made: dict[str, object] = {}  # (the ink's share and the grain, made once for both passes)
    looked_at = None
    lower = median < (1 - SHADE_STEP) * paper
    for share in SHADE_SHARES:  # (a deep shadow's paper after a light one's: see above)
        shade = lower & (median >= share * light) & ~kept
        if looked_at is not None and np.array_equal(shade, looked_at):
            continue  # (the same regions as the last pass, none kept: the same answer)
        kept |= _shaded(small, paper, median, shade.astype(np.uint8), window, light, (strong, weak), made)
        looked_at = shade
    if not kept.any():
        return paper
    # (within the max-filter's reach of a region in shade, the paper's light is the lower of the two:
    # the median, enlarged from its copy half as long, blurs the shade's edge, and along it the paper
    # lay in a band lighter than it was measured against, "dark paper" taking the digits on the edge)
    near = cv2.dilate(kept.view(np.uint8), np.ones((2 * side + 1, 2 * side + 1), np.uint8))
    return np.where(near > 0, np.minimum(median, paper), paper)


def _shaded(
    small: np.ndarray,
    paper: np.ndarray,
    median: np.ndarray,
    shade: np.ndarray,
    window: int,
    light: float,
    bars: tuple[float, float],
    made: dict,
) -> np.ndarray:
    """Mask of the regions of ``shade`` (0/1) that are paper in shade; ``bars``: the ink finder's
    strong and weak bars; ``made``: what an earlier pass made of the same photo (kept for the next)."""
    strong, weak = bars
    none = np.zeros(small.shape[:2], bool)
    if cv2.countNonZero(shade) < window:
        return none
    # (Grana's algorithm: the same labels, twice as fast as the default's with their stats)
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        shade, 8, cv2.CV_32S, cv2.CCL_GRANA
    )
    big = [label for label in range(1, count) if stats[label, cv2.CC_STAT_AREA] >= window]
    if not big:
        return none
    # (the share of dark ink around each pixel, averaged over each region)
    if "ink" not in made:
        made["ink"] = cv2.blur((small < (1 - strong) * paper).astype(np.float32), (window, window))
    ink = made["ink"]
    candidates = [label for label in big if _mean_within(ink, labels, stats[label], label) < SHADE_INK]
    if not candidates:
        return none
    if "grain" not in made:
        made["grain"] = _grain(small, paper, light, weak)
    grain_map, lit_grain = made["grain"]
    # past a region, on its dark side: neither in a region nor lit, and no ink
    dark = (shade == 0) & (median <= (1 - SHADE_STEP) * light) & (grain_map >= 0)
    kept = np.zeros(count, bool)
    for label in candidates:
        beyond = _beyond(labels, stats[label], label, int(BEYOND * window)) & dark
        kept[label] = (
            lit_grain > 0
            and np.count_nonzero(beyond) >= LEAST_BEYOND
            and np.median(grain_map[beyond]) / max(1.0, np.median(small[beyond])) <= SHADED_GRAIN * lit_grain
        )
    return np.take(kept, labels)


def _grain(small: np.ndarray, paper: np.ndarray, light: float, weak: float) -> tuple[np.ndarray, float]:
    """The paper's grain per pixel of ``small`` (the difference between neighbours, in fractions
    of a grey level, on a copy GRAIN_SIDE pixels long; -1 on and beside weak ink) and the lit
    paper's median (0: none lit)."""
    scale = GRAIN_SIDE / max(small.shape[:2])
    copy = cv2.resize(small.astype(np.float32), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grain = cv2.morphologyEx(copy, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    grain = cv2.resize(grain, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST)
    inked = cv2.dilate((small < (1 - weak) * paper).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    grain[inked] = -1
    lit = (small >= LIT * light) & ~inked
    if not lit.any():
        return grain, 0.0
    return grain, max(1.0, float(np.median(grain[lit]))) / max(1.0, float(np.median(small[lit])))


def percentile(values: np.ndarray, share: float) -> float:
    """The ``share`` percentile of uint8 ``values``, the lower one (by their histogram)."""
    counts = np.cumsum(np.bincount(values.ravel(), minlength=256))
    return float(np.searchsorted(counts, counts[-1] * share / 100))


def _mean_within(values: np.ndarray, labels: np.ndarray, box: np.ndarray, label: int) -> float:
    """The mean of ``values`` over region ``label`` (``box``: its stats row)."""
    x, y, width, height = (int(value) for value in box[:4])
    region = labels[y : y + height, x : x + width] == label
    return float(values[y : y + height, x : x + width][region].mean())


def _beyond(labels: np.ndarray, box: np.ndarray, label: int, reach: int) -> np.ndarray:
    """Mask of the pixels within ``reach`` of region ``label`` (``box``: its stats row)."""
    x, y, width, height = (int(value) for value in box[:4])
    top, left = max(0, y - reach), max(0, x - reach)
    bottom, right = min(labels.shape[0], y + height + reach), min(labels.shape[1], x + width + reach)
    region = (labels[top:bottom, left:right] == label).astype(np.uint8)
    near = np.zeros(labels.shape, bool)
    kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    near[top:bottom, left:right] = cv2.dilate(region, kernel) > 0
    return near
