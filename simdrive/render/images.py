"""Encoding frames as JPEG or PNG with a machine-readable "synthetic" mark inside.

The mark is JSON ``{"synthetic": true, "generator": "simdrive x.y", ...provenance}``
stored in the image's own metadata: a JPEG comment (COM) segment right after
the JFIF header, or a PNG ``tEXt`` chunk with keyword
``simdrive`` right after the header chunk. ``read_mark`` reads it back.
"""

from __future__ import annotations

import json
import struct
import zlib

import cv2
import numpy as np

from simdrive import __version__
from simdrive.jsontext import json_writer

JPEG_QUALITY = 90
_MARK_JSON = json_writer((",", ":"), sort_keys=True)
PNG_KEYWORD = b"simdrive"


def mark(provenance: dict | None) -> bytes:
    data = {"synthetic": True, "generator": f"simdrive {__version__}", **(provenance or {})}
    return _MARK_JSON(data).encode()


def encode_image(image: np.ndarray, suffix: str, provenance: dict | None = None,
                 quality: int = JPEG_QUALITY, bgr: bool = False) -> bytes:
    """Bytes of an RGB image (BGR if ``bgr``) as .jpg/.jpeg or .png, carrying the
    synthetic mark."""
    pixels = np.ascontiguousarray(image)
    if not bgr:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    text = mark(provenance)
    if suffix.lower() in (".jpg", ".jpeg"):
        ok, buf = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
        data = buf.tobytes()
        segment = b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text
        # after the JFIF header (APP0), which the JFIF standard wants first
        at = 2
        if data[2:4] == b"\xff\xe0":
            at = 4 + struct.unpack(">H", data[4:6])[0]
        return data[:at] + segment + data[at:]
    ok, buf = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    data = buf.tobytes()
    return insert_png_text(data, text)


def insert_png_text(png: bytes, text: bytes) -> bytes:
    """A PNG with a tEXt chunk (keyword simdrive) inserted after IHDR."""
    body = b"tEXt" + PNG_KEYWORD + b"\x00" + text
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    ihdr_end = 8 + 4 + 4 + 13 + 4
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def read_mark(data: bytes) -> dict | None:
    """The simdrive mark of JPEG or PNG bytes, or None."""
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 4 <= len(data) and data[pos] == 0xFF:
            marker = data[pos + 1]
            length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
            if marker == 0xFE:
                return json.loads(data[pos + 4:pos + 2 + length])
            if marker == 0xDA:
                break
            pos += 2 + length
        return None
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"tEXt":
            key, _, value = data[pos + 8:pos + 8 + length].partition(b"\x00")
            if key == PNG_KEYWORD:
                return json.loads(value)
        pos += 12 + length
    return None
