"""A variant's run as a video clip: ``simdrive video`` (an MP4 through OpenCV's FFmpeg
writer) and, next to it, a JSON record of every frame's labels.

The clip plays in real time: a frame every ``every`` simulation steps at 1 / (every * dt)
frames per second. Both files are written to temporary names and renamed into place
when whole; OpenCV's writer reports no write error, so the clip is read back and its
frame count checked before the rename (a full disk is an OutputError, nothing left).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import cv2

from simdrive.files import OutputError, write_atomic
from simdrive.render.export import frame_record
from simdrive.render.frames import VariantRun, camera_spec
from simdrive.render.overlay import draw_labels
from simdrive.scenario.build import Variant
from simdrive.scenario.spec import ScenarioSpec

VIDEO_SUFFIXES = (".mp4",)


def write_video(path: str | Path, spec: ScenarioSpec, variant: Variant, *,
                camera: str | None = None, every: int | None = None, start_s: float = 0.0,
                end_s: float | None = None, overlay: bool = False,
                weather: str | None = None, lighting: str | None = None,
                provenance: dict | None = None) -> dict:
    """Render ``variant`` from ``start_s`` to ``end_s`` (default: the run's end) every
    ``every`` steps (default: the scenario's render.every) through ``camera`` into the MP4
    ``path`` and its labels into ``path``'s ``.json``; returns a summary (frames, fps,
    seconds of the clip, camera, look)."""
    path = Path(path)
    run = VariantRun(spec, variant)
    cam = camera_spec(spec, camera)
    every = every or spec.render.every
    first = run.step_of(start_s)
    last = run.n_steps if end_s is None else run.step_of(end_s)
    steps = list(range(first, last + 1, every))
    fps = 1.0 / (every * spec.dt)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    writer = None
    records = []
    look = None
    try:
        for step in steps:
            run.advance_to(step)
            frame = run.render(cam, weather=weather, lighting=lighting)
            look = frame.look
            if writer is None:
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                         (frame.camera.width, frame.camera.height))
                if not writer.isOpened():
                    raise OutputError(f"cannot write {path}: OpenCV's video writer could not "
                                      "open it", where=str(path),
                                      expected="a writable folder")
            image = draw_labels(frame.rgb, frame.labels) if overlay else frame.rgb
            writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            records.append(frame_record(frame))
        writer.release()
        writer = None
        written = cv2.VideoCapture(str(tmp))
        count = int(written.get(cv2.CAP_PROP_FRAME_COUNT)) if written.isOpened() else 0
        written.release()
        if count != len(steps):  # the writer says nothing of a full disk
            raise OutputError(f"cannot write {path}: the clip holds {count} of its "
                              f"{len(steps)} frames (is the disk full?)", where=str(path),
                              expected="a writable folder with free space")
        record = {**(provenance or {}), "fps": fps, "every_steps": every,
                  "camera": cam.name, "frames": records}
        os.replace(tmp, path)
        try:
            write_atomic(path.with_suffix(".json"), json.dumps(record, indent=1).encode())
        except OutputError:  # both files or neither
            path.unlink()
            raise
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}", where=str(path),
                          expected="a writable folder with free space") from None
    finally:
        if writer is not None:
            writer.release()
        with contextlib.suppress(OSError):
            tmp.unlink()
    return {"frames": len(steps), "fps": fps, "seconds": len(steps) / fps,
            "camera": cam.name, "weather": look.weather, "lighting": look.lighting,
            "start_s": first * spec.dt, "end_s": steps[-1] * spec.dt}


__all__ = ["VIDEO_SUFFIXES", "write_video"]
