"""What the lens and sensor add to a frame: precipitation on the lens, vignette and sensor
noise, in one SIMD pass over the RGB image (the effects kernel), from seeded wrap-around
tiles kept per process, shifted per frame.

Effects never move a label: the label statistics read the instance buffer, which no
effect touches.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from simdrive.core._jit import inline_kernel, kernel

MAX_EFFECT_FIELDS = 12  # noise and precipitation tiles kept (effect_field; ~200 kB each)


def apply_effects(image: np.ndarray, cam, look, options, seed: int, frame_seed: int,
                  gain_row: np.ndarray) -> None:
    """Precipitation, vignette and sensor noise on an (H, W, 3) RGB frame, in place (the
    look's rain or snow, the options' noise and vignette; none on an orthographic view).

    cam: its simdrive.render.camera.Camera; look: its Look; options: RenderOptions;
    seed: the renderer's seed and frame_seed the frame's (which pick the tiles' offsets);
    gain_row: (3 W,) uint16 workspace.
    """
    h, w = image.shape[:2]
    ortho = cam.orthographic
    precip = _EMPTY_FIELD
    level = 0
    if not ortho and (look.rain > 0 or look.snow > 0):
        kind = "rain" if look.rain > 0 else "snow"
        precip = effect_field(kind, look.rain or look.snow, seed, h, w)
        brightness = sum(look.ambient) / 3 / 0.62
        level = int(230 * min(1.0, brightness + 0.25))
    noisy = options.sensor_noise and not ortho
    lens = options.vignette and not ortho
    if not (noisy or lens or precip.shape[0]):
        return
    grain = effect_field("noise" if noisy else "still", 0.0, seed if noisy else 0, h, w)
    gain_x, gain_y = vignette(w, h, lens)
    shift = frame_shifts(seed, frame_seed)
    p = max(1, precip.shape[0])
    q = grain.shape[0]
    effects(image.reshape(h, 3 * w), precip, int(shift[0] % p) * 3, int(shift[1] % p),
            np.int32(level), gain_x, gain_y, grain, int(shift[2] % q) * 3, int(shift[3] % q),
            gain_row)


@kernel
def effects(image, precip, precip_x, precip_y, precip_level, gain_x, gain_y, noise, noise_x,
            noise_y, gain_row):
    """Precipitation, vignette and sensor noise on an (H, 3 W) uint8 image, in place.

    precip: uint8 opacity tile of streaks or flakes, wrapping round, one byte per
    channel ((T, 3 T'), see effect_tile; 0 rows: none); a pixel is lightened towards
    precip_level by its opacity / 256 (streaks catch the light). gain_x (3 W,) and
    gain_y (H,) float32: separable vignette gains, at most 1. noise: int8 tile like
    precip, added after the gain. Image byte (row, col) takes the tile bytes at ((row +
    y) mod rows, (col + x) mod columns): the callers shift the tiles per frame.
    gain_row: (3 W,) uint16 workspace (a row's gains in 1/256).

    A tile is a few hundred kB, so it stays in cache; the loops read contiguous spans
    only and every step fits 16-bit integers (each rounded: lift, gain, then the
    noise, clamped to 0-255 once), so they compile to SIMD code of 32 lanes a vector.
    """
    h, w3 = image.shape
    level = np.int16(precip_level)
    for row in range(h):
        pixels = image[row]
        gy = gain_y[row] * np.float32(256.0)
        for col in range(w3):
            gain_row[col] = np.uint16(min(np.float32(256.0), gain_x[col] * gy + np.float32(0.5)))
        grain = noise[(row + noise_y) % noise.shape[0]]
        if precip.shape[0] == 0:
            col = 0
            while col < w3:  # spans where the tile does not wrap round
                g0 = (noise_x + col) % grain.shape[0]
                n = min(w3 - col, grain.shape[0] - g0)
                _span(pixels[col:col + n], gain_row[col:col + n], grain[g0:g0 + n])
                col += n
            continue
        opacity = precip[(row + precip_y) % precip.shape[0]]
        col = 0
        while col < w3:  # spans where neither tile wraps round
            g0 = (noise_x + col) % grain.shape[0]
            p0 = (precip_x + col) % opacity.shape[0]
            n = min(w3 - col, grain.shape[0] - g0, opacity.shape[0] - p0)
            _precip_span(pixels[col:col + n], opacity[p0:p0 + n], level, gain_row[col:col + n],
                         grain[g0:g0 + n])
            col += n


@inline_kernel
def _span(pixels, gain, grain):
    for col in range(pixels.shape[0]):
        _put(pixels, col, np.uint16(pixels[col]), gain[col], grain[col])


@inline_kernel
def _precip_span(pixels, opacity, level, gain, grain):
    for col in range(pixels.shape[0]):
        p = np.int16(pixels[col])
        lift = np.uint16(max(np.int16(0), np.int16(level - p)))
        lifted = np.uint16(p) + (np.uint16(lift * np.uint16(opacity[col]) + np.uint16(128))
                                 >> np.uint16(8))
        _put(pixels, col, lifted, gain[col], grain[col])


@inline_kernel
def _put(pixels, col, value, gain, grain):
    """pixels[col] = value * gain / 256 (rounded) + grain, clamped to 0-255 (every
    intermediate within 16 bits: value <= 255, gain <= 256)."""
    v = np.uint16(np.uint16(value * gain) + np.uint16(128)) >> np.uint16(8)
    s = np.int16(np.int16(v) + np.int16(grain))
    pixels[col] = np.uint8(min(np.int16(255), max(np.int16(0), s)))


def effect_tile(tile: np.ndarray, width: int = 0) -> np.ndarray:
    """A (T, T) wrap-around tile as the effects kernel reads it: each byte repeated for
    the three channels ((T, 3 T)); a (1, 1) tile (a constant) as one row of ``width``
    pixels instead, so a row is one span."""
    if tile.shape == (1, 1) and width:
        tile = np.broadcast_to(tile, (1, width))
    return np.ascontiguousarray(np.repeat(tile, 3, axis=1))


def precipitation_tile(kind: str, intensity: float, seed: int, size: int = 256) -> np.ndarray:
    """Seeded, wrap-around (size, size) uint8 opacity tile of rain streaks or snow flakes."""
    import cv2

    rng = np.random.default_rng(seed)
    tile = np.zeros((size * 3, size * 3), np.uint8)
    if kind == "rain":
        count = int(260 * intensity)
        for _ in range(count):
            x, y = rng.uniform(size, 2 * size, 2)
            length = rng.uniform(10, 26)
            dx = length * 0.18
            cv2.line(tile, (int(x), int(y)), (int(x + dx), int(y + length)),
                     int(rng.uniform(50, 120)), 1, cv2.LINE_AA)
    else:
        count = int(700 * intensity)
        for _ in range(count):
            x, y = rng.uniform(size, 2 * size, 2)
            cv2.circle(tile, (int(x), int(y)), int(rng.choice([1, 1, 1, 2])),
                       int(rng.uniform(140, 230)), -1, cv2.LINE_AA)
    # fold the 3x3 canvas so shapes crossing the border wrap round
    out = np.zeros((size, size), np.uint16)
    for i in range(3):
        for j in range(3):
            out += tile[i * size:(i + 1) * size, j * size:(j + 1) * size]
    return np.minimum(out, 255).astype(np.uint8)


def frame_shifts(seed: int, frame_seed: int) -> np.ndarray:
    """(4,) int64 in 0-255: the precipitation and noise tile offsets of one frame.

    A hash of (renderer seed, frame seed): the same frame always gets the same
    grain, consecutive frames different grain (a generator per frame cost 40 us).
    """
    digest = hashlib.blake2b(f"{seed}:{frame_seed}".encode(), digest_size=4).digest()
    return np.frombuffer(digest, np.uint8).astype(np.int64)


@lru_cache(maxsize=8)
def vignette(w: int, h: int, enabled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Separable lens fall-off, float32 gains per column (repeated for the three channels:
    (3 W,)) and per row ((H,)); corners ~0.6; all 1 when not enabled. Read-only."""
    if not enabled:
        gains = np.ones(3 * w, np.float32), np.ones(h, np.float32)
    else:
        xs = ((np.arange(w) + 0.5) / w - 0.5) * 2
        ys = ((np.arange(h) + 0.5) / h - 0.5) * 2 * h / w
        gains = (np.repeat(1.0 - 0.22 * xs ** 2, 3).astype(np.float32),
                 (1.0 - 0.22 * ys ** 2).astype(np.float32))
    for gain in gains:
        gain.flags.writeable = False
    return gains


_EMPTY_FIELD = np.zeros((0, 0), np.uint8)
_EMPTY_FIELD.flags.writeable = False  # like the cached fields: one compiled effects kernel
_FIELDS: OrderedDict[tuple, np.ndarray] = OrderedDict()
_FIELDS_LOCK = threading.Lock()


def effect_field(kind: str, intensity: float, seed: int, h: int, w: int) -> np.ndarray:
    """The (read-only) effect tile of a kind ("rain", "snow": precipitation opacity;
    "noise": sensor grain of a renderer seed; "still": zeros) as the effects kernel
    reads it (effect_tile; only "still" depends on the image width).

    Kept in a small cache shared by all renderers of the process (the least recently used
    tile goes first): a dataset worker makes a renderer per shard, and a precipitation
    tile costs milliseconds to draw.
    """
    key = (kind, intensity, seed, w if kind == "still" else 0)
    with _FIELDS_LOCK:
        field = _FIELDS.get(key)
        if field is not None:
            _FIELDS.move_to_end(key)
            return field
    if kind == "noise":
        rng = np.random.default_rng([seed, 7])
        tile = np.round(rng.normal(0.0, 2.5, (256, 256))).astype(np.int8)
    elif kind == "still":
        tile = np.zeros((1, 1), np.int8)
    else:
        tile = precipitation_tile(kind, intensity, seed)
    field = effect_tile(tile, w)
    field.flags.writeable = False
    with _FIELDS_LOCK:
        _FIELDS[key] = field
        while len(_FIELDS) > MAX_EFFECT_FIELDS:
            _FIELDS.popitem(last=False)
    return field
