"""The ``simdrive`` command. Thin: it parses arguments and calls the library.

Errors caused by bad input (SimdriveError) are printed as one paragraph and
exit with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

from simdrive import __version__
from simdrive.errors import SimdriveError


def _demo(args: argparse.Namespace) -> int:
    from simdrive.examples.urban_street import main as run_example

    run_example()
    return 0


VALIDATE_WORLDS = 256
"""validate builds the worlds of a scenario's first variants (placements are drawn per
variant: one that cannot be met may still fail in a later one)."""


def _validate(args: argparse.Namespace) -> int:
    from simdrive.scenario.build import check_variants, variant_count, variants
    from simdrive.scenario.runner import load_scenario
    from simdrive.scenario.source import is_found_file, load_variants
    from simdrive.scenario.yamlpos import load_yaml_file

    failed = 0
    for path in args.paths:
        try:
            found = is_found_file(load_yaml_file(path))
            if found:
                spec, listed = load_variants(path)  # checks the scenario and every variant
            else:
                spec = load_scenario(path)
                listed = variants(spec, VALIDATE_WORLDS)
            # the map, and the worlds as a simulation loads them: what the other commands
            # would find wrong later (an unknown lane, a placement that cannot be met)
            check_variants(spec, listed)
        except SimdriveError as error:
            print(f"simdrive: error: {error}", file=sys.stderr)
            failed += 1
            continue
        if found:
            print(f"ok {path}: found file of {spec.name} ({spec.file}), {len(listed)} variants")
        else:
            print(f"ok {path}: {spec.name}, {variant_count(spec)} variants")
    return 2 if failed else 0


def _check_at_least(*checks: tuple[str, int | None, int]) -> None:
    """SimdriveError for the first (option, value, least) whose given value is too small."""
    for name, value, low in checks:
        if value is not None and value < low:
            raise SimdriveError(f"{name} must be at least {low}", found=value)


def _variants(args: argparse.Namespace) -> int:
    from simdrive.scenario.source import load_variants

    _check_at_least(("--limit", args.limit, 1))
    _, listed = load_variants(args.path, args.limit)  # a scenario or a found file
    for v in listed:
        if args.json:
            print(json.dumps(v.to_dict()))
        else:
            values = ", ".join(f"{k}={_fmt(val)}" for k, val in v.values.items())
            print(f"{v.index:5d}  seed {v.seed}  {values}")
    return 0


def _fmt(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _simulate(args: argparse.Namespace) -> int:
    from simdrive.scenario.runner import simulate_variants
    from simdrive.scenario.source import load_variants

    _check_at_least(("--limit", args.limit, 1), ("--workers", args.workers, 1))
    spec, chosen = load_variants(args.path, args.limit)  # a scenario or a found file
    t0 = time.perf_counter()
    results = simulate_variants(spec, chosen, threads=args.workers)
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
    from simdrive.render.export import save_frame
    from simdrive.render.frames import render_frame
    from simdrive.scenario.source import select_variant

    out = Path(args.output)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise OutputError("the output image must end in .png, .jpg or .jpeg",
                          where=str(out), found=out.suffix or "(no suffix)")
    if not out.parent.resolve().is_dir():
        raise OutputError(f"cannot write {out}: the folder {out.parent} does not exist",
                          where=str(out))
    spec, variant = select_variant(args.path, args.variant)
    frame = render_frame(spec, variant, args.time, args.camera)
    save_frame(out, frame, provenance={
        "scenario": spec.name, "scenario_file": str(args.path),
        "scenario_hash": spec.content_hash, "variant": variant.index, "seed": variant.seed},
        overlay=args.overlay)
    shown = [lab for lab in frame.labels if lab.in_view]
    print(f"wrote {out} and {out.with_suffix('.json')}: {spec.name} variant {variant.index} "
          f"at t={frame.time_s:.2f} s, "
          f"camera {frame.camera.name}, {frame.look.weather}/{frame.look.lighting}, "
          f"{len(shown)} actor{'' if len(shown) == 1 else 's'} in view")
    for lab in shown:
        box = ("hidden" if lab.visible_box is None
               else "visible " + " ".join(str(v) for v in lab.visible_box))
        print(f"  #{lab.track_id:<3d} {lab.kind:<10} {lab.name:<16} {box:<26} "
              f"occlusion {lab.occlusion:.2f}  truncation {lab.truncation:.2f}  "
              f"{lab.distance_m:6.1f} m")
    return 0


def _preview(args: argparse.Namespace) -> int:
    from pathlib import Path

    from simdrive.files import OutputError
    from simdrive.preview.playback import Playback

    # every bad input is reported before a window opens
    if not Path(args.save_dir).is_dir():
        what = "is a file, not a folder" if Path(args.save_dir).exists() else "does not exist"
        raise OutputError(f"the folder {args.save_dir} {what}", where=args.save_dir)
    playback = Playback(args.path, args.variant, args.camera)
    import pygame

    from simdrive.preview.app import run_viewer

    try:
        return run_viewer(playback, save_dir=args.save_dir)
    except pygame.error as error:
        raise SimdriveError(f"cannot open the preview window: {error}",
                            expected="a display (or SDL_VIDEODRIVER=dummy to run headless)"
                            ) from None


def _search(args: argparse.Namespace) -> int:
    from pathlib import Path

    from simdrive.scenario.runner import load_scenario
    from simdrive.search.found import MAX_KEEP, check_writable, write_found
    from simdrive.search.objective import parse_objective
    from simdrive.search.plots import write_search_figure
    from simdrive.search.run import check_settings, search

    _check_at_least(("--workers", args.workers, 1))
    spec = load_scenario(args.path)
    objective = parse_objective(spec, args.objective, score=args.score, threshold=args.threshold)
    check_settings(method=args.method, budget=args.budget, keep=args.keep,
                   min_spacing=args.min_spacing, cluster_radius=1.0)
    if args.keep > MAX_KEEP:
        raise SimdriveError(f"--keep is at most {MAX_KEEP}", found=args.keep)
    plot = None if args.no_plot else Path(args.plot or Path(args.output).with_suffix(".png"))
    for path in (args.output, plot):
        if path is not None:
            check_writable(path)
    progress = None if args.quiet else _progress_printer(objective.boolean)
    result = search(spec, objective, budget=args.budget, method=args.method, seed=args.seed,
                    keep=args.keep, min_spacing=args.min_spacing, threads=args.workers,
                    progress=progress)
    write_found(result, args.output)
    if plot is not None:
        write_search_figure(result, plot)
    p = result.probability
    print(f"{len(result.trace.objective)} simulations in {result.seconds:.1f} s "
          f"({len(result.trace.objective) / max(result.seconds, 1e-9):,.0f}/s), "
          f"{result.method}: {result.critical_count} critical "
          f"({objective.describe_critical()}), {len(result.distinct)} distinct, "
          f"{result.cluster_count} clusters; P(critical) = {p.estimate:.4g} "
          f"+- {p.standard_error:.2g}; kept {len(result.found)} in {args.output}"
          + (f", plot {plot}" if plot is not None else ""))
    return 0


def _progress_printer(boolean: bool):
    tty = sys.stderr.isatty()

    def report(p: dict) -> None:
        what = "best score" if boolean else "best objective"
        line = (f"iteration {p['batch']}/{p['batches']}: {p['simulations']}/{p['budget']} sims, "
                f"{what} {p['best']:.4g}, critical {p['critical']}, "
                f"{p['batch_size'] / max(p['batch_seconds'], 1e-9):,.0f} sims/s")
        end = "\n" if not tty or p["batch"] == p["batches"] else ""
        print(("\r" if tty else "") + line, end=end, file=sys.stderr, flush=True)

    return report


def _render(args: argparse.Namespace) -> int:
    from simdrive.dataset.options import (
        EXTRAS,
        FORMATS,
        IMAGE_FORMATS,
        BoxFilter,
        DatasetOptions,
        parse_list,
        parse_split,
    )
    from simdrive.dataset.runner import render_dataset

    if args.image_format not in IMAGE_FORMATS:
        raise SimdriveError("unknown --image-format", expected="jpg or png",
                            found=args.image_format)
    _check_at_least(("--every", args.every, 1), ("--limit", args.limit, 1),
                    ("--workers", args.workers, 1), ("--min-pixels", args.min_pixels, 0),
                    ("--min-height", args.min_height, 0))
    for name, value in (("--max-occlusion", args.max_occlusion),
                        ("--min-visibility", args.min_visibility)):
        if not 0.0 <= value <= 1.0:
            raise SimdriveError(f"{name} is a share", expected="a number from 0 to 1",
                                found=value)
    cameras = tuple(c.strip() for c in (args.cameras or "").split(",") if c.strip())
    for name in cameras:
        if cameras.count(name) > 1:
            raise SimdriveError(f"--cameras: camera {name!r} is listed twice",
                                found=args.cameras)
    options = DatasetOptions(
        formats=parse_list(args.formats, FORMATS, "format") or FORMATS,
        cameras=cameras or None,
        every=args.every, limit=args.limit, image_format=args.image_format,
        extras=parse_list(args.extras, EXTRAS, "extra"),
        box_filter=BoxFilter(args.min_pixels, args.min_height, args.max_occlusion,
                             args.min_visibility),
        split=parse_split(args.split), split_seed=args.split_seed)
    summary = render_dataset(args.paths, args.output, options, workers=args.workers,
                             cluster=args.cluster, force=args.force,
                             command=args.command_line, quiet=args.quiet)
    boxes = ", ".join(f"{k} {v}" for k, v in summary.boxes.items()) or "none"
    print(f"{summary.frames} frames in {args.output} ({summary.shards_run} shards rendered, "
          f"{summary.shards_skipped} already done) in {summary.seconds:.1f} s; "
          f"variants kept {summary.kept}, dropped by require: {summary.dropped}; "
          f"boxes: {boxes}; report: {args.output}/report/report.md")
    if summary.empty_splits:
        from simdrive.dataset.report import empty_splits_note

        print(f"simdrive: warning: {empty_splits_note(summary.empty_splits, summary.kept)}",
              file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from simdrive.dataset.report import write_report

    print(f"wrote {write_report(args.path)}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from simdrive.scenario.json_schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2))
    return 0


def _one_variant_arguments(command: argparse.ArgumentParser) -> None:
    """PATH, --variant and --camera: the commands that show one variant (frame, preview)."""
    command.add_argument("path", metavar="PATH", help="a scenario file or a found file")
    command.add_argument("--variant", type=int, default=0, metavar="K",
                         help="variant index, or place in a found file (default 0)")
    command.add_argument("--camera", default=None, metavar="NAME",
                         help="camera name or preset (default: the scenario's first camera)")


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

    validate = commands.add_parser("validate", help="check scenario files (or found files)")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(handler=_validate)

    variants = commands.add_parser("variants", help="list the concrete variants of a scenario")
    variants.add_argument("path", metavar="PATH", help="a scenario file or a found file")
    variants.add_argument("--limit", type=int, default=None, help="at most N variants")
    variants.add_argument("--json", action="store_true", help="one JSON object per line")
    variants.set_defaults(handler=_variants)

    simulate = commands.add_parser("simulate", help="run the physics for a scenario's variants",
                                   description="Simulate the variants of a scenario file, or "
                                               "those listed in a found file of simdrive search.")
    simulate.add_argument("path", metavar="PATH", help="a scenario file or a found file")
    simulate.add_argument("--limit", type=int, default=None, help="at most N variants")
    simulate.add_argument("--workers", type=int, default=None,
                          help="threads (default: all cores)")
    simulate.add_argument("--json", action="store_true", help="one JSON object per line")
    simulate.set_defaults(handler=_simulate)

    frame = commands.add_parser("frame", help="render one camera frame of a variant")
    _one_variant_arguments(frame)
    frame.add_argument("--time", type=float, default=0.0, metavar="T",
                       help="simulated time in s (default 0)")
    frame.add_argument("-o", "--output", required=True, metavar="OUT",
                       help="image file (.png or .jpg); its labels go to OUT's .json")
    frame.add_argument("--overlay", action="store_true",
                       help="draw amodal and visible boxes, class and occlusion")
    frame.set_defaults(handler=_frame)

    preview = commands.add_parser(
        "preview", help="play a variant in an interactive window",
        description="Open a window with the camera view and a bird's-eye view of a variant, "
                    "playing in real time, with labels, HUD, step back, manual driving and hot "
                    "reload of the scenario file; press h in the window for the keys.")
    _one_variant_arguments(preview)
    preview.add_argument("--save-dir", default=".", metavar="DIR",
                         help="where the s key saves frames (default: the current folder)")
    preview.set_defaults(handler=_preview)

    search = commands.add_parser(
        "search", help="search a scenario for its rare critical variants",
        description="Simulate variants chosen by a search method and write the critical ones "
                    "found (a file simulate accepts), spread over the failure region, with the "
                    "estimated probability of the critical event.")
    search.add_argument("path", metavar="PATH")
    search.add_argument("--objective", required=True, metavar="EXPR",
                        help="a number to minimise (min_ttc) or a condition that is critical "
                             "(collision and ego.speed_at_impact > 8), as in require:")
    search.add_argument("--budget", type=int, required=True, metavar="N",
                        help="number of simulations")
    search.add_argument("--method", default="cem", metavar="METHOD",
                        help="cem (default, cross-entropy), random or halton")
    search.add_argument("--threshold", type=float, default=None, metavar="T",
                        help="numeric objective: critical iff objective < T (default 1.0)")
    search.add_argument("--score", default=None, metavar="EXPR",
                        help="condition objective: the number that guides the search "
                             "(default: min_distance - ego.speed_at_impact)")
    search.add_argument("--keep", type=int, default=50, metavar="K",
                        help="critical variants to write, spread out (default 50)")
    search.add_argument("--min-spacing", type=float, default=0.05, metavar="D",
                        help="least distance between kept variants, in quantile units "
                             "(default 0.05)")
    search.add_argument("--seed", type=int, default=None,
                        help="search seed (default: the scenario's variants seed)")
    search.add_argument("--workers", type=int, default=None,
                        help="threads (default: all cores); the result does not depend on it")
    search.add_argument("-o", "--output", required=True, metavar="FOUND.yaml")
    search.add_argument("--plot", default=None, metavar="PNG",
                        help="figure path (default: the output with .png)")
    search.add_argument("--no-plot", action="store_true", help="write no figure")
    search.add_argument("--quiet", action="store_true", help="no progress lines")
    search.set_defaults(handler=_search)

    render = commands.add_parser(
        "render", help="render labelled datasets (COCO, YOLO, KITTI) from scenario files",
        description="Simulate and render the variants of scenario (or found) files into a "
                    "labelled dataset. Rerunning the same command resumes.")
    render.add_argument("paths", nargs="+", metavar="PATH")
    render.add_argument("-o", "--output", required=True, metavar="DIR")
    render.add_argument("--formats", default="coco,yolo,kitti",
                        help="comma-separated: coco, yolo, kitti (default all)")
    render.add_argument("--cameras", default=None, metavar="NAMES",
                        help="comma-separated camera names (default: each scenario's first)")
    render.add_argument("--every", type=int, default=None, metavar="K",
                        help="a frame every K simulation steps (default: render.every, 2)")
    render.add_argument("--limit", type=int, default=None, metavar="N",
                        help="at most N variants per file")
    render.add_argument("--image-format", default="jpg", help="jpg (quality 90) or png")
    render.add_argument("--extras", default="", metavar="KINDS",
                        help="comma-separated: depth, semantic, instance")
    render.add_argument("--split", default="train=0.8,val=0.1,test=0.1",
                        help="split ratios by variant (default train=0.8,val=0.1,test=0.1)")
    render.add_argument("--split-seed", type=int, default=0)
    render.add_argument("--min-pixels", type=int, default=25,
                        help="least visible pixels of a box (default 25)")
    render.add_argument("--min-height", type=int, default=8,
                        help="least visible box height, px (default 8)")
    render.add_argument("--max-occlusion", type=float, default=0.9,
                        help="most occluded share of a box (default 0.9)")
    render.add_argument("--min-visibility", type=float, default=0.05,
                        help="least fog/darkness visibility exp(-3 d / V) (default 0.05)")
    render.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: all cores)")
    render.add_argument("--cluster", default=None, metavar="ADDRESS",
                        help="run shards on Dask: 'local' or a scheduler address")
    render.add_argument("--force", action="store_true",
                        help="write into a non-empty folder, or replace a different dataset")
    render.add_argument("--quiet", action="store_true", help="no progress output")
    render.set_defaults(handler=_render)

    report = commands.add_parser("report", help="write plots and report.md for a dataset")
    report.add_argument("path", metavar="DIR")
    report.set_defaults(handler=_report)

    schema = commands.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.set_defaults(handler=_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["simdrive", *(sys.argv[1:] if argv is None else argv)]
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        code = args.handler(args)
        sys.stdout.flush()  # here, so a closed pipe is seen below, not at exit
        return code
    except SimdriveError as error:
        print(f"simdrive: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: files are written atomically, a rerun resumes
        print("simdrive: interrupted" + (" (run the same command again to resume)"
                                         if args.handler is _render else ""), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``simdrive variants ... | head``): stop quietly, as a tool
        # killed by SIGPIPE would; stdout goes to /dev/null so the interpreter's final
        # flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
