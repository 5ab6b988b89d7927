"""The commands that show one variant: ``frame`` (one picture and its labels), ``video``
(a run as a clip) and ``preview`` (an interactive window), with what they share: the
output path beside its label record and the --weather/--lighting a picture is drawn in.
Each takes the parsed arguments and returns the exit code, as simdrive.commands's do.
"""

from __future__ import annotations

import argparse
import os

from simdrive.commands import _check_at_least, _count
from simdrive.errors import SimdriveError


def _output_beside_labels(args: argparse.Namespace, suffixes: tuple[str, ...], what: str):
    """``args.output`` (a Path) once it can be written: its suffix one of ``suffixes``, its
    folder there, neither it nor its .json the scenario file."""
    from pathlib import Path

    from simdrive.files import OutputError

    out = Path(args.output)
    if out.suffix.lower() not in suffixes:
        raise OutputError(f"the output {what} must end in " + ", ".join(suffixes),
                          where=str(out), found=out.suffix or "(no suffix)")
    if not out.parent.resolve().is_dir():
        what = "is a file, not a folder" if out.parent.exists() else "does not exist"
        raise OutputError(f"cannot write {out}: the folder {out.parent} {what}",
                          where=str(out))
    for target in (out, out.with_suffix(".json")):  # the picture and its label record
        if target.resolve() == Path(args.path).resolve():
            raise OutputError(f"{target} is the scenario file given: writing it would "
                              "replace it", where=str(target), expected="an output path of its own")
    return out


def _look_changes(args: argparse.Namespace) -> dict:
    """The weather and lighting --weather and --lighting ask for (checked), by name."""
    from simdrive.world.conditions import LIGHTINGS, WEATHERS

    changes = {}
    for option, value, names in (("--weather", args.weather, WEATHERS),
                                 ("--lighting", args.lighting, LIGHTINGS)):
        if value is not None:
            if value not in names:
                raise SimdriveError(f"unknown {option}", expected="one of " + ", ".join(names),
                                    found=value)
            changes[option[2:]] = value
    return changes


def _real_changes(changes: dict, spec, variant, time_s: float) -> dict:
    """``changes`` without those the variant has anyway at ``time_s``."""
    from simdrive.render.frames import variant_look

    own = variant_look(spec, variant, time_s)
    return {k: v for k, v in changes.items() if getattr(own, k) != v}


def frame(args: argparse.Namespace) -> int:
    from simdrive.render.export import save_frame
    from simdrive.render.frames import render_frame
    from simdrive.scenario.source import select_variant

    out = _output_beside_labels(args, (".png", ".jpg", ".jpeg"), "image")
    changes = _look_changes(args)
    spec, variant = select_variant(args.path, args.variant)
    frame = render_frame(spec, variant, args.time, args.camera, args.weather, args.lighting)
    changes = _real_changes(changes, spec, variant, frame.time_s)
    provenance = {
        "scenario": spec.name, "scenario_file": str(args.path),
        "scenario_hash": spec.content_hash, "variant": variant.index, "seed": variant.seed}
    if changes:  # as a preview's saves record them: the picture is not the variant's
        provenance["preview_changes"] = changes
    save_frame(out, frame, provenance=provenance, overlay=args.overlay)
    shown = [lab for lab in frame.labels if lab.in_view]
    drawn = " (drawn so; the run is the variant's own)" if changes else ""
    print(f"wrote {out} and {out.with_suffix('.json')}: {spec.name} variant {variant.index} "
          f"at t={frame.time_s:.2f} s, "
          f"camera {frame.camera.name}, {frame.look.weather}/{frame.look.lighting}{drawn}, "
          f"{len(shown)} actor{'' if len(shown) == 1 else 's'} in view")
    for lab in shown:
        box = ("hidden" if lab.visible_box is None
               else "visible " + " ".join(str(v) for v in lab.visible_box))
        print(f"  #{lab.track_id:<3d} {lab.kind:<10} {lab.name:<16} {box:<26} "
              f"occlusion {lab.occlusion:.2f}  truncation {lab.truncation:.2f}  "
              f"visibility {lab.visibility:.2f}  {lab.distance_m:6.1f} m")
    return 0


def video(args: argparse.Namespace) -> int:
    from simdrive.render.video import VIDEO_SUFFIXES, write_video
    from simdrive.scenario.source import select_variant

    out = _output_beside_labels(args, VIDEO_SUFFIXES, "video")
    changes = _look_changes(args)
    _check_at_least(("--every", args.every, 1))
    spec, variant = select_variant(args.path, args.variant)
    duration = spec.duration
    for option, value in (("--start", args.start), ("--end", args.end)):
        if value is not None and not 0.0 <= value <= duration + 1e-9:
            raise SimdriveError(f"{option} lies outside the run", where=spec.file,
                                expected=f"0 to {duration:g} s", found=value)
    if args.end is not None and args.end < args.start:
        raise SimdriveError("--end comes before --start", expected=f"a time from {args.start:g} s",
                            found=args.end)
    provenance = {"scenario": spec.name, "scenario_file": str(args.path),
                  "scenario_hash": spec.content_hash, "variant": variant.index,
                  "seed": variant.seed, "synthetic": True}
    if changes:
        provenance["preview_changes"] = changes
    done = write_video(out, spec, variant, camera=args.camera, every=args.every,
                       start_s=args.start, end_s=args.end, overlay=args.overlay,
                       weather=args.weather, lighting=args.lighting, provenance=provenance)
    drawn = " (drawn so; the run is the variant's own)" if changes else ""
    print(f"wrote {out} and {out.with_suffix('.json')}: {spec.name} variant {variant.index}, "
          f"{_count(done['frames'], 'frame')} from {done['start_s']:.2f} to "
          f"{done['end_s']:.2f} s at "
          f"{done['fps']:g} frames/s (real time), camera {done['camera']}, "
          f"{done['weather']}/{done['lighting']}{drawn}")
    return 0


def preview(args: argparse.Namespace) -> int:
    from pathlib import Path

    from simdrive.files import OutputError
    from simdrive.preview.playback import Playback

    # every bad input is reported before a window opens
    shot = Path(args.screenshot) if args.screenshot is not None else None
    if shot is not None:
        if shot.suffix.lower() != ".png":
            raise OutputError("--screenshot writes a PNG image", where=str(shot),
                              expected="a path ending in .png", found=shot.suffix or "(none)")
        if not shot.parent.resolve().is_dir():
            what = "is a file, not a folder" if shot.parent.exists() else "does not exist"
            raise OutputError(f"cannot write {shot}: the folder {shot.parent} {what}",
                              where=str(shot))
        if shot.resolve() == Path(args.path).resolve():
            raise OutputError(f"{shot} is the scenario file given", where=str(shot),
                              expected="an output path of its own")
        if args.save_dir is not None:
            raise SimdriveError("--save-dir is where the s key of an open window saves frames; "
                             "--screenshot opens none and writes only its own path",
                             expected="one of --save-dir and --screenshot")
    elif not Path(args.save_dir or ".").is_dir():
        what = "is a file, not a folder" if Path(args.save_dir).exists() else "does not exist"
        raise OutputError(f"the folder {args.save_dir} {what}", where=args.save_dir)
    elif not os.access(args.save_dir or ".", os.W_OK | os.X_OK):
        raise OutputError(f"the folder {args.save_dir or '.'} is not writable (the s key "
                          "saves frames there)", where=args.save_dir or ".")
    playback = Playback(args.path, args.variant, args.camera)
    duration = playback.n_steps * playback.dt_s
    if args.time is not None and not 0.0 <= args.time <= duration + 1e-9:
        raise SimdriveError("--time lies outside the run",
                            expected=f"a time from 0 to {duration:g} s", found=args.time)
    names = playback.run.sim.actor_names[0]
    if args.select is not None and args.select not in names:
        raise SimdriveError(f"--select: no actor {args.select!r} in this variant",
                            expected="one of " + ", ".join(names), found=args.select)
    if shot is not None:  # drawn off screen: no window
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from simdrive.preview.app import run_viewer

    try:
        return run_viewer(playback, save_dir=args.save_dir or ".", start_s=args.time,
                          select=args.select, screenshot=shot)
    except pygame.error as error:
        raise SimdriveError(f"cannot open the preview window: {error}",
                            expected="a display (or SDL_VIDEODRIVER=dummy to run headless)"
                            ) from None
