"""The RGB image of a frame: the packed colour buffer unpacked to RGB bytes with what the
lens and sensor add (precipitation on the lens, vignette and sensor noise), in one SIMD
pass a row (the effects kernel), from seeded wrap-around tiles kept per process, shifted
per frame.

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


def finish_image(colour: np.ndarray, image: np.ndarray, cam, look, options, seed: int,
                 frame_seed: int, bgr: bool = False) -> np.ndarray:
    """Write the (H, W, 3) RGB ``image`` of the packed (H, W) 0x00RRGGBB ``colour`` buffer
    with precipitation, vignette and sensor noise (the look's rain or snow, the options'
    noise and vignette; none on an orthographic view), and return it.

    cam: its simdrive.render.camera.Camera; look: its Look; options: RenderOptions;
    seed: the renderer's seed and frame_seed the frame's (which pick the tiles' offsets);
    bgr: write the channels in OpenCV's order instead (the same bytes otherwise: every
    effect treats the three channels of a pixel alike).
    """
    h, w = colour.shape
    rgb = image.reshape(h, 3 * w)
    # BGR rows of whole words (width a multiple of 4, rows 4-byte aligned): written a word
    # at a time (_pack24), three 32-bit stores per four pixels instead of twelve byte stores
    words = rgb.view(np.uint32) if bgr and w % 4 == 0 and rgb.ctypes.data % 4 == 0 \
        else _NO_WORDS
    ortho = cam.orthographic
    noisy = options.sensor_noise and not ortho
    lens = options.vignette and not ortho
    work = np.empty(w, np.uint32)
    shift = frame_shifts(seed, frame_seed)
    if not ortho and (look.rain > 0 or look.snow > 0):
        kind = "rain" if look.rain > 0 else "snow"
        precip = effect_field(kind, look.rain or look.snow, seed, h, w)
        brightness = sum(look.ambient) / 3 / 0.62
        level = int(230 * min(1.0, brightness + 0.25))
        grain = effect_field("noise" if noisy else "still", 0.0, seed if noisy else 0, h, w)
        p, q = precip.shape[0], grain.shape[0]
        effects(colour, rgb, words, bgr, precip, int(shift[0] % p) * 3, int(shift[1] % p),
                np.int32(level), vignette_shade(w, h, lens), _NO_GAINS, grain,
                int(shift[2] % q) * 3, int(shift[3] % q), work)
        return image
    gains = vignette_gain(w, h) if lens else _NO_GAINS
    grain = effect_field("noise", 0.0, seed, h, w) if noisy else _NO_NOISE
    q = max(1, grain.shape[0])
    effects(colour, rgb, words, bgr, _EMPTY_FIELD, 0, 0, np.int32(0), _NO_SHADE, gains, grain,
            int(shift[2] % q) * 3, int(shift[3] % q), work)
    return image


@kernel
def effects(colour, image, image_words, bgr, precip, precip_x, precip_y, precip_level,
            shade, gains, noise, noise_x, noise_y, work):
    """The (H, 3 W) uint8 RGB image of the packed (H, W) uint32 0x00RRGGBB colour buffer
    (BGR when ``bgr``), with precipitation, vignette and sensor noise.

    image_words: the image as (H, 3 W / 4) uint32 words (a view of the same memory) when
    it is BGR and W a multiple of 4, else (0, 0): the colours are then unpacked a word at
    a time (_pack24).

    With precipitation (precip has rows): precip is a uint8 opacity tile of streaks or
    flakes, wrapping round, one byte per channel ((T, 3 T'), see effect_tile); each row
    is unpacked into the image, then each byte is lightened towards precip_level by its
    opacity / 256 (streaks catch the light), darkened by the vignette's ``shade`` (in
    1/256: the byte keeps 256 - shade of 256; vignette_shade's per-byte table, (1, 3 W):
    one row for all) and the noise added. noise must have rows then.

    Without (precip has 0 rows): the vignette multiplies each packed word by its pixel's
    ``gains`` (vignette_gain: 256 - shade, the same for the three channels; 0 rows:
    none) in 32-bit lanes, red and blue in one product (each below 2**16: no carries),
    into ``work`` ((W,) uint32), then the word is unpacked and the noise added (0 rows:
    none) in byte lanes. The same bytes as the per-byte path, in a third of the
    operations a pixel.

    noise: int8 tile like precip, added last, clamped to 0-255. Every step is rounded
    (lift, vignette, then noise). Rows of the vignette's tables cover the top
    (H + 1) // 2 image rows: row r of the bottom half is row H - 1 - r's (the lens is
    symmetric). Image byte (row, col) takes the tile bytes at ((row + y) mod rows, (col +
    x) mod columns): the callers shift the tiles per frame.

    A tile is a few hundred kB, so it stays in cache; the loops read contiguous spans
    only and every step fits its lanes, so they compile to SIMD code.
    """
    h, w3 = image.shape
    level = np.int16(precip_level)
    for row in range(h):
        pixels = image[row]
        words = colour[row]
        if precip.shape[0] == 0:
            if gains.shape[0] != 0:
                _vignette_words(words, gains[min(row, h - 1 - row, gains.shape[0] - 1)],
                                work)
                words = work
            _unpack(words, pixels, image_words, row, bgr)
            if noise.shape[0] == 0:
                continue
            grain = noise[(row + noise_y) % noise.shape[0]]
            col = 0
            while col < w3:  # spans where the tile does not wrap round
                g0 = (noise_x + col) % grain.shape[0]
                n = min(w3 - col, grain.shape[0] - g0)
                _grain_span(pixels[col:col + n], grain[g0:g0 + n])
                col += n
            continue
        _unpack(words, pixels, image_words, row, bgr)
        dark = shade[min(row, h - 1 - row, shade.shape[0] - 1)]
        grain = noise[(row + noise_y) % noise.shape[0]]
        opacity = precip[(row + precip_y) % precip.shape[0]]
        col = 0
        while col < w3:  # spans where neither tile wraps round
            g0 = (noise_x + col) % grain.shape[0]
            p0 = (precip_x + col) % opacity.shape[0]
            n = min(w3 - col, grain.shape[0] - g0, opacity.shape[0] - p0)
            _precip_span(pixels[col:col + n], opacity[p0:p0 + n], level, dark[col:col + n],
                         grain[g0:g0 + n])
            col += n


@inline_kernel
def _unpack(words, pixels, image_words, row, bgr):
    """pixels[3 k:3 k + 3] = the red, green and blue bytes of 0x00RRGGBB words[k] (blue,
    green, red when bgr; a loop of constant shifts each: a variable shift made the
    unpacking ~20% slower); through image_words[row] (_pack24) when it has rows."""
    if image_words.shape[0] != 0:
        _pack24(words, image_words[row])
    elif not bgr:
        for col in range(words.shape[0]):
            p = words[col]
            pixels[3 * col] = np.uint8(p >> np.uint32(16))
            pixels[3 * col + 1] = np.uint8(p >> np.uint32(8))
            pixels[3 * col + 2] = np.uint8(p)
    else:
        for col in range(words.shape[0]):
            p = words[col]
            pixels[3 * col] = np.uint8(p)
            pixels[3 * col + 1] = np.uint8(p >> np.uint32(8))
            pixels[3 * col + 2] = np.uint8(p >> np.uint32(16))


@inline_kernel
def _pack24(words, out):
    """The BGR bytes of 0x00RRGGBB words (W,) as (3 W / 4,) little-endian uint32 words
    (W a multiple of 4): a word's low three bytes are its pixel's blue, green and red,
    so four pixels are three words of shifted and joined pixel words."""
    u = np.uint32
    for k in range(words.shape[0] // 4):
        p0, p1, p2, p3 = words[4 * k], words[4 * k + 1], words[4 * k + 2], words[4 * k + 3]
        out[3 * k] = u(u(p0 & u(0xFFFFFF)) | u(p1 << u(24)))
        out[3 * k + 1] = u(u(u(p1 >> u(8)) & u(0xFFFF)) | u(p2 << u(16)))
        out[3 * k + 2] = u(u(u(p2 >> u(16)) & u(0xFF)) | u(p3 << u(8)))


@inline_kernel
def _vignette_words(words, gains, out):
    """out[k] = each channel of words[k] times gains[k] / 256, rounded. Every operation is
    cast back to 32 bits (numba widens integer arithmetic to 64, which halves the SIMD
    lanes): red and blue times a gain <= 256 stay below 2**16 in their own halves."""
    u = np.uint32
    for col in range(words.shape[0]):
        p = words[col]
        g = u(gains[col])
        rb = u(u(u(u(p & u(0xFF00FF)) * g) + u(0x800080)) >> u(8)) & u(0xFF00FF)
        gg = u(u(u(u(p & u(0xFF00)) * g) + u(0x8000)) >> u(8)) & u(0xFF00)
        out[col] = u(rb | gg)


@inline_kernel
def _grain_span(pixels, grain):
    """pixels += grain, clamped to 0-255: a signed saturating add of the bytes shifted by
    128 (which LLVM compiles to one SIMD instruction a 32 bytes)."""
    for col in range(pixels.shape[0]):
        s = np.int16(np.int8(pixels[col] ^ np.uint8(128))) + np.int16(grain[col])
        s = min(np.int16(127), max(np.int16(-128), s))
        pixels[col] = np.uint8(np.int8(s)) ^ np.uint8(128)


@inline_kernel
def _precip_span(pixels, opacity, level, dark, grain):
    for col in range(pixels.shape[0]):
        p = np.int16(pixels[col])
        lift = np.uint16(max(np.int16(0), np.int16(level - p)))
        lifted = np.uint16(p) + (np.uint16(lift * np.uint16(opacity[col]) + np.uint16(128))
                                 >> np.uint16(8))
        _put(pixels, col, lifted, dark[col], grain[col])


@inline_kernel
def _put(pixels, col, value, dark, grain):
    """pixels[col] = value * (256 - dark) / 256 (rounded) + grain, clamped to 0-255 (every
    intermediate within 16 bits: value <= 255, dark <= 255)."""
    v16 = np.uint16(value)
    v = np.uint16((v16 << np.uint16(8)) - v16 * np.uint16(dark) + np.uint16(128)) \
        >> np.uint16(8)
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


@lru_cache(maxsize=4)
def vignette_shade(w: int, h: int, enabled: bool = True) -> np.ndarray:
    """Lens fall-off as the effects kernel reads it: ((H + 1) // 2, 3 W) uint8, how much of
    256 each image byte of the top half loses (the gain in 1/256 is 256 - shade; corners
    keep ~0.73 at 16:9 and at least 0.6 at any shape; the bottom half mirrors the top, so
    a frame reads half the table: 0.35 MB less at 640x360); one row of zeros when not
    enabled. Read-only; kept per size."""
    if not enabled:
        shade = np.zeros((1, 3 * w), np.uint8)
    else:
        shade = np.empty(((h + 1) // 2, 3 * w), np.uint8)
        gain_x, gain_y = vignette_gains(w, h)
        gain_y = gain_y[:shade.shape[0]]
        for row in range(0, shade.shape[0], 64):  # in bands: no frame-sized float arrays
            scaled = gain_y[row:row + 64, None] * np.float32(256.0)
            gain = np.minimum(np.float32(256.0), gain_x[None, :] * scaled + np.float32(0.5))
            shade[row:row + 64] = 256 - gain.astype(np.int64)
    shade.flags.writeable = False
    return shade


@lru_cache(maxsize=4)
def vignette_gain(w: int, h: int) -> np.ndarray:
    """vignette_shade's table per pixel as the effects kernel's packed-word path reads it:
    ((H + 1) // 2, W) uint16, the gain in 1/256 (256 - shade, the same for the three
    channels). Read-only; kept per size."""
    gain = 256 - vignette_shade(w, h, True)[:, ::3].astype(np.uint16)
    gain.flags.writeable = False
    return gain


def vignette_gains(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Separable lens fall-off, float32 gains per column (repeated for the three channels:
    (3 W,)) and per row ((H,)): 1 - 0.22 r^2 along each axis, r = 1 at the edges of the
    longer side (so at 16:9 the corners keep ~0.73, and no shape darkens below 0.6)."""
    xs = ((np.arange(w) + 0.5) / w - 0.5) * 2
    ys = ((np.arange(h) + 0.5) / h - 0.5) * 2
    if w >= h:
        ys = ys * h / w
    else:
        xs = xs * w / h
    return (np.repeat(1.0 - 0.22 * xs ** 2, 3).astype(np.float32),
            (1.0 - 0.22 * ys ** 2).astype(np.float32))


_EMPTY_FIELD = np.zeros((0, 0), np.uint8)
_EMPTY_FIELD.flags.writeable = False  # like the cached fields: one compiled effects kernel
_NO_NOISE = np.zeros((0, 0), np.int8)  # no sensor noise
_NO_NOISE.flags.writeable = False
_NO_SHADE = np.zeros((0, 0), np.uint8)
_NO_SHADE.flags.writeable = False
_NO_WORDS = np.zeros((0, 0), np.uint32)  # no word view of the image (see finish_image)
_NO_GAINS = np.zeros((0, 0), np.uint16)
_NO_GAINS.flags.writeable = False
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
