"""The ``simdrive`` command. Thin: it parses arguments and calls the library.

Errors caused by bad input (SimdriveError) are printed as one paragraph and
exit with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

from simdrive import __version__
from simdrive.errors import SimdriveError


def _demo(args: argparse.Namespace) -> int:
    from simdrive.examples.urban_street import main as run_example

    run_example()
    return 0


def _validate(args: argparse.Namespace) -> int:
    from simdrive.scenario.build import variant_count
    from simdrive.scenario.runner import load_scenario

    failed = 0
    for path in args.paths:
        try:
            spec = load_scenario(path)
        except SimdriveError as error:
            print(f"simdrive: error: {error}", file=sys.stderr)
            failed += 1
            continue
        print(f"ok {path}: {spec.name}, {variant_count(spec)} variants")
    return 2 if failed else 0


def _variants(args: argparse.Namespace) -> int:
    from simdrive.scenario.build import variants
    from simdrive.scenario.runner import load_scenario

    spec = load_scenario(args.path)
    for v in variants(spec, args.limit):
        if args.json:
            print(json.dumps(v.to_dict()))
        else:
            values = ", ".join(f"{k}={_fmt(val)}" for k, val in v.values.items())
            print(f"{v.index:5d}  seed {v.seed}  {values}")
    return 0


def _fmt(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _simulate(args: argparse.Namespace) -> int:
    from simdrive.scenario.runner import load_scenario, simulate

    spec = load_scenario(args.path)
    t0 = time.perf_counter()
    results = simulate(spec, limit=args.limit, threads=args.workers)
    elapsed = time.perf_counter() - t0
    for r in results:
        o = r.outcome
        row = {"index": r.variant.index, "collision": o.collision,
               "collision_with": o.collision_with,
               "min_ttc_s": _finite(o.min_ttc_s), "min_distance_m": _finite(o.min_distance_m),
               "max_ego_decel_mps2": o.max_ego_decel_mps2,
               "ego_speed_at_impact_mps": _finite(o.ego_speed_at_impact_mps),
               "kept": r.kept, "values": r.variant.values}
        if args.json:
            print(json.dumps(row))
        else:
            hit = f"collision with {o.collision_with}" if o.collision else "no collision"
            print(f"{r.variant.index:5d}  {hit:<28} min TTC {o.min_ttc_s:6.2f} s  "
                  f"min dist {o.min_distance_m:6.2f} m  max decel {o.max_ego_decel_mps2:4.1f} "
                  f"m/s^2  {'kept' if r.kept else 'dropped'}")
    kept = sum(r.kept for r in results)
    collisions = sum(r.outcome.collision for r in results)
    summary = (f"{len(results)} variants simulated in {elapsed:.2f} s: {collisions} ego "
               f"collisions, {kept} kept by require:, {len(results) - kept} dropped")
    print(summary, file=sys.stderr if args.json else sys.stdout)
    return 0


def _finite(x: float):
    return x if math.isfinite(x) else None


def _frame(args: argparse.Namespace) -> int:
    from pathlib import Path

    from simdrive.files import OutputError
    from simdrive.render.frames import render_frame
    from simdrive.render.images import encode_image
    from simdrive.render.overlay import draw_labels
    from simdrive.scenario.build import variant_at, variant_count
    from simdrive.scenario.runner import load_scenario

    out = Path(args.output)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise OutputError("the output image must end in .png, .jpg or .jpeg",
                          where=str(out), found=out.suffix or "(no suffix)")
    if not out.parent.resolve().is_dir():
        raise OutputError(f"cannot write {out}: the folder {out.parent} does not exist",
                          where=str(out))
    spec = load_scenario(args.path)
    count = variant_count(spec)
    if not 0 <= args.variant < count:
        raise SimdriveError("no such variant", where=args.path,
                            expected=f"an index from 0 to {count - 1}", found=args.variant)
    variant = variant_at(spec, args.variant)
    frame = render_frame(spec, variant, args.time, args.camera)
    image = draw_labels(frame.image, frame.labels) if args.overlay else frame.image
    from simdrive.files import write_atomic

    write_atomic(out, encode_image(image, out.suffix, provenance={
        "scenario": spec.name, "scenario_hash": spec.content_hash, "variant": args.variant,
        "seed": variant.seed, "time_s": frame.time_s, "camera": frame.camera.name}))
    shown = [lab for lab in frame.labels if lab.in_view]
    print(f"wrote {out}: {spec.name} variant {args.variant} at t={frame.time_s:.2f} s, "
          f"camera {frame.camera.name}, {frame.look.weather}/{frame.look.lighting}, "
          f"{len(shown)} actors in view")
    for lab in shown:
        box = ("hidden" if lab.visible_box is None
               else "visible " + " ".join(str(v) for v in lab.visible_box))
        print(f"  #{lab.track_id:<3d} {lab.kind:<10} {lab.name:<16} {box:<26} "
              f"occlusion {lab.occlusion:.2f}  truncation {lab.truncation:.2f}  "
              f"{lab.distance_m:6.1f} m")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from simdrive.scenario.json_schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simdrive",
        description="Driving-scenario simulation for labelled synthetic camera data.",
    )
    parser.add_argument("--version", action="version", version=f"simdrive {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="simulate the shipped urban-street example and print what happened"
    )
    demo.set_defaults(handler=_demo)

    validate = commands.add_parser("validate", help="check scenario files")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(handler=_validate)

    variants = commands.add_parser("variants", help="list the concrete variants of a scenario")
    variants.add_argument("path", metavar="PATH")
    variants.add_argument("--limit", type=int, default=None, help="at most N variants")
    variants.add_argument("--json", action="store_true", help="one JSON object per line")
    variants.set_defaults(handler=_variants)

    simulate = commands.add_parser("simulate", help="run the physics for a scenario's variants")
    simulate.add_argument("path", metavar="PATH")
    simulate.add_argument("--limit", type=int, default=None, help="at most N variants")
    simulate.add_argument("--workers", type=int, default=None,
                          help="threads (default: all cores)")
    simulate.add_argument("--json", action="store_true", help="one JSON object per line")
    simulate.set_defaults(handler=_simulate)

    frame = commands.add_parser("frame", help="render one camera frame of a variant")
    frame.add_argument("path", metavar="PATH")
    frame.add_argument("--variant", type=int, default=0, metavar="K",
                       help="variant index (default 0)")
    frame.add_argument("--time", type=float, default=0.0, metavar="T",
                       help="simulated time in s (default 0)")
    frame.add_argument("-o", "--output", required=True, metavar="OUT",
                       help="image file (.png or .jpg)")
    frame.add_argument("--camera", default=None, metavar="NAME",
                       help="camera name (default: the scenario's first camera)")
    frame.add_argument("--overlay", action="store_true",
                       help="draw amodal and visible boxes, class and occlusion")
    frame.set_defaults(handler=_frame)

    schema = commands.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.set_defaults(handler=_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except SimdriveError as error:
        print(f"simdrive: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
