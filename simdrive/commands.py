"""The ``simdrive`` commands: one function per command, taking the parsed arguments and
returning the exit code (simdrive.cli parses and dispatches).

Errors caused by bad input are raised as SimdriveError; the CLI prints them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

from simdrive.errors import SimdriveError


def demo(args: argparse.Namespace) -> int:
    from simdrive.examples.urban_street import main as run_example

    run_example()
    return 0


VALIDATE_WORLDS = 256
"""validate builds the worlds of this many of a scenario's variants, spread over its grid
(every cell's first sample before any second one; placements are drawn per variant: one
that cannot be met may still fail in a variant left out)."""


def validate(args: argparse.Namespace) -> int:
    from simdrive.scenario.build import check_variants, variant_count, variants
    from simdrive.scenario.runner import load_scenario
    from simdrive.scenario.source import is_found_file, load_variants
    from simdrive.scenario.yamlpos import load_yaml_file

    failed = 0
    for path in args.paths:
        try:
            found = is_found_file(load_yaml_file(path))
            if found:
                # checks the scenario and every variant; none listed is a true record
                spec, listed = load_variants(path, allow_empty=True)
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
            print(f"ok {path}: found file of {spec.name} ({spec.file}), "
                  + (_count(len(listed), 'variant') if listed else
                     "no variants (its search found nothing critical; simulate, frame, "
                     "render and preview have nothing to replay)"))
        else:
            count = variant_count(spec)
            print(f"ok {path}: {spec.name}, {_count(count, 'variant')}"
                  + (f" (the worlds of {len(listed)} of them built"
                     + (", spread over its grid)" if spec.grid else ", its first)")
                     if len(listed) < count else ""))
    return 2 if failed else 0


def _check_at_least(*checks: tuple[str, int | None, int]) -> None:
    """SimdriveError for the first (option, value, least) whose given value is too small."""
    for name, value, low in checks:
        if value is not None and value < low:
            raise SimdriveError(f"{name} must be at least {low}", found=value)


def variants(args: argparse.Namespace) -> int:
    from simdrive.scenario.source import load_variants

    _check_at_least(("--limit", args.limit, 1))
    spec, listed = load_variants(args.path, args.limit)  # a scenario or a found file
    hidden = spec.per_instance  # each of a count's actors draws its own placement
    for v in listed:
        if args.json:
            line = v.to_dict()
            line["values"] = {k: val for k, val in v.values.items() if k not in hidden}
            if hidden:
                line["drawn_per_instance"] = sorted(hidden)
            print(json.dumps(line))
        else:
            values = ", ".join(f"{k}={_fmt(val)}" for k, val in v.values.items()
                               if k not in hidden)
            print(f"{v.index:5d}  seed {v.seed}  {values}")
    return 0


def _fmt(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def simulate(args: argparse.Namespace) -> int:
    from simdrive.scenario.runner import simulate_variants
    from simdrive.scenario.source import load_variants

    _check_at_least(("--limit", args.limit, 1), ("--workers", args.workers, 1))
    if args.variant:
        from simdrive.scenario.source import select_variant

        if args.limit is not None:
            raise SimdriveError("--variant and --limit both choose the variants",
                                expected="one of them")
        picked = [select_variant(args.path, k) for k in dict.fromkeys(args.variant)]
        spec, chosen = picked[0][0], [v for _, v in picked]
    else:
        spec, chosen = load_variants(args.path, args.limit)  # a scenario or a found file
    t0 = time.perf_counter()
    results = simulate_variants(spec, chosen, threads=args.workers)
    elapsed = time.perf_counter() - t0
    for r in results:
        o = r.outcome
        # every collision of the run, the ego's and the others' (traffic, walkers)
        crashes = [{"time_s": round(e.time_s, 6), "actor": e.actor, "other": e.other,
                    "relative_speed_mps": round(e.relative_speed_mps, 3),
                    "closing_speed_mps": round(e.closing_speed_mps, 3), "face": e.face,
                    "other_face": e.other_face}
                   for e in r.events if e.kind == "collision"]
        row = {"index": r.variant.index, "collision": o.collision,
               "collision_with": o.collision_with,
               "min_ttc_s": _finite(o.min_ttc_s), "min_distance_m": _finite(o.min_distance_m),
               "max_ego_decel_mps2": o.max_ego_decel_mps2,
               "ego_speed_at_impact_mps": _finite(o.ego_speed_at_impact_mps),
               "collisions": o.collisions, "collision_events": crashes,
               "off_road_time_s": _finite(o.ego_off_road_time_s),
               "impact_face": o.ego_impact_face,
               "closing_speed_at_impact_mps": _finite(o.ego_closing_speed_at_impact_mps),
               "kept": r.kept, "values": {k: val for k, val in r.variant.values.items()
                                          if k not in spec.per_instance}}
        if o.action_time_by_actor:  # when each actor's first action took effect
            row["action_time"] = {name: _finite(round(t, 6)) for name, t
                                  in sorted(o.action_time_by_actor.items())}
        if spec.per_instance:  # each of a count's actors drew its own placement
            row["drawn_per_instance"] = sorted(spec.per_instance)
        if args.variant:  # asked for by name: what happened, in order
            row["events"] = [{"time_s": round(e.time_s, 6), "kind": e.kind, "actor": e.actor,
                              ("other" if e.kind == "collision" else "action"): e.other}
                             for e in r.events]
        if args.json:
            print(json.dumps(row))
        else:
            hit = f"collision with {o.collision_with}" if o.collision else "no collision"
            impact = ("" if o.ego_impact_face is None else
                      f"  impact on the ego's {o.ego_impact_face}, closing "
                      f"{o.ego_closing_speed_at_impact_mps:.1f} m/s")
            between = [f"{c['actor']}-{c['other']} at {c['time_s']:.2f} s" for c in crashes
                       if "ego" not in (c["actor"], c["other"])]
            more = (f"  +{len(between)} other collision{'s' if len(between) > 1 else ''} ("
                    + ", ".join(between[:3]) + (", ..." if len(between) > 3 else "") + ")"
                    if between else "")
            off = ("" if math.isnan(o.ego_off_road_time_s) else
                   f"  off the road at {o.ego_off_road_time_s:.2f} s")
            print(f"{r.variant.index:5d}  {hit:<28} min TTC {o.min_ttc_s:6.2f} s  "
                  f"min dist {o.min_distance_m:6.2f} m  max decel {o.max_ego_decel_mps2:4.1f} "
                  f"m/s^2  {'kept' if r.kept else 'dropped'}{impact}{off}{more}")
            if args.variant:  # the variants asked for by name: what happened, in order
                for e in r.events:
                    print(f"         {e.time_s:6.2f} s  " + (
                        f"collision {e.actor} x {e.other} (closing {e.closing_speed_mps:.1f} "
                        f"m/s, {e.actor}'s {e.face}, {e.other}'s {e.other_face})"
                        if e.kind == "collision" else f"{e.actor}: {e.other}"))
    kept = sum(r.kept for r in results)
    collisions = sum(r.outcome.collision for r in results)
    others = sum(1 for r in results for e in r.events
                 if e.kind == "collision" and "ego" not in (e.actor, e.other))
    summary = (f"{_count(len(results), 'variant')} simulated in {elapsed:.2f} s: "
               f"{_count(collisions, 'ego collision')}, {others} others, {kept} kept by "
               f"require:, {len(results) - kept} dropped")
    print(summary, file=sys.stderr if args.json else sys.stdout)
    return 0


def _finite(x: float):
    return x if math.isfinite(x) else None


def search(args: argparse.Namespace) -> int:
    from pathlib import Path

    from simdrive.files import write_atomic_together
    from simdrive.scenario.runner import load_scenario
    from simdrive.search.estimate import uneven_weights
    from simdrive.search.found import MAX_KEEP, check_outputs, found_bytes
    from simdrive.search.objective import parse_objective
    from simdrive.search.plots import search_figure_png
    from simdrive.search.run import check_settings, search
    from simdrive.search.space import search_space

    _check_at_least(("--workers", args.workers, 1))
    spec = load_scenario(args.path)
    objective = parse_objective(spec, args.objective, score=args.score, threshold=args.threshold)
    check_settings(method=args.method, budget=args.budget, keep=args.keep,
                   min_spacing=args.min_spacing, cluster_radius=1.0)
    if args.keep > MAX_KEEP:
        raise SimdriveError(f"--keep is at most {MAX_KEEP}", found=args.keep)
    plot = None if args.no_plot else Path(args.plot or Path(args.output).with_suffix(".png"))
    check_outputs(spec, args.output, plot)
    space = search_space(spec)
    if not (space.continuous or space.discrete or spec.per_instance):
        print("simdrive: warning: the scenario has no distribution, so every run simulates "
              "the same world; simdrive simulate runs it once", file=sys.stderr)
    from simdrive.render import warmup

    cold = not warmup.simulation_kernels_cached()  # the time below includes compiling them
    progress = None if args.quiet else _progress_printer(objective.boolean)
    result = search(spec, objective, budget=args.budget, method=args.method, seed=args.seed,
                    keep=args.keep, min_spacing=args.min_spacing, threads=args.workers,
                    progress=progress)
    files = [(args.output, found_bytes(result, args.output))]
    if plot is not None:
        files.append((plot, search_figure_png(result)))
    write_atomic_together(files)  # both or neither
    p = result.probability
    runs = len(result.trace.objective)
    estimate = (f"P(critical) = {p.estimate:.4g} +- {p.standard_error:.2g}"
                if result.critical_count else
                f"P(critical) below {p.upper_bound_95:.2g} (no critical run in {runs}: "
                "the 95% upper bound)")
    print(f"{runs} simulations in {result.seconds:.1f} s "
          + ("(compiling the kernels on this first run included), " if cold else
             f"({runs / max(result.seconds, 1e-9):,.0f}/s), ")
          + f"{result.method}: {result.critical_count} critical "
          f"({objective.describe_critical()}), {len(result.distinct)} distinct, "
          f"{_count(result.cluster_count, 'cluster')}; {estimate}; kept {len(result.found)} in "
          f"{args.output}" + (f", plot {plot}" if plot is not None else "")
          + ("" if result.found else " (no critical variant: it records the search, but "
             "simulate, frame, render and preview have no variant to replay from it)"))
    if uneven_weights(p, result.critical_count):
        print(f"simdrive: warning: P(critical) rests on a few heavily weighted runs "
              f"(effective sample size {p.effective_samples:.0f} of "
              f"{result.critical_count} critical runs): the proposals covered part of the "
              "critical region densely and found the rest only in the runs drawn from the "
              "scenario's own distribution, so the estimate can be off by several standard "
              "errors; compare --method random at the same budget, or search again with "
              "another --seed or a larger --budget", file=sys.stderr)
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


def render(args: argparse.Namespace) -> int:
    from simdrive.dataset.categories import ClassMap, parse_classes
    from simdrive.dataset.options import (
        EXTRAS,
        FORMATS,
        IMAGE_FORMATS,
        DatasetOptions,
        kind_filters,
        parse_box_filters,
        parse_list,
        parse_split,
    )
    from simdrive.dataset.runner import render_dataset
    from simdrive.dataset.shard import DEPTH_MAX_M
    from simdrive.world.actors import actor_kinds
    from simdrive.world.conditions import WEATHERS

    if args.image_format not in IMAGE_FORMATS:
        raise SimdriveError("unknown --image-format", expected="jpg or png",
                            found=args.image_format)
    _check_at_least(("--every", args.every, 1), ("--limit", args.limit, 1),
                    ("--workers", args.workers, 1))
    if args.after_collision is not None and not (math.isfinite(args.after_collision)
                                                 and args.after_collision >= 0):
        raise SimdriveError("--after-collision is a time after the collision",
                            expected="a number of seconds, 0 or more",
                            found=args.after_collision)
    classes = parse_classes(args.classes)
    class_map = ClassMap.of(classes)
    box_filter, camera_filters, filter_names, class_filters, weather_filters = \
        parse_box_filters({
            "--min-pixels": args.min_pixels, "--min-height": args.min_height,
            "--max-occlusion": args.max_occlusion, "--min-visibility": args.min_visibility},
            classes=(*actor_kinds(), *(c for c in class_map.names if c not in actor_kinds())),
            weathers=tuple(WEATHERS))
    class_filters = kind_filters(class_filters, class_map)
    for name, value in (("--formats", args.formats), ("--cameras", args.cameras),
                        ("--extras", args.extras or None)):  # "" is --extras' default
        if value is not None and not value.strip(" ,"):  # given, but naming nothing
            raise SimdriveError(f"{name} names nothing", expected="comma-separated names",
                                found=value)
    resolved = [os.path.realpath(p) for p in args.paths]
    duplicates = sorted({p for p, r in zip(args.paths, resolved, strict=True)
                         if resolved.count(r) > 1})
    if duplicates:
        raise SimdriveError("a file is given twice (its frames would be rendered twice)",
                            found=", ".join(duplicates))
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
        box_filter=box_filter, camera_filters=camera_filters, filter_names=filter_names,
        class_filters=class_filters, weather_filters=weather_filters,
        split=parse_split(args.split), split_seed=args.split_seed,
        after_collision_s=args.after_collision, classes=classes)
    getattr(args, "first_run_note", lambda: None)()  # a bad option is the only message
    idle = [name for name, _ in options.class_filters
            if options.classes and options.class_map.index(name) is None]
    if idle:
        print(f"simdrive: warning: a box filter item names {', '.join(idle)}, which --classes "
              "puts in no class: its value changes nothing", file=sys.stderr)
    others = [name for name, _ in options.split if name not in ("train", "val", "test")]
    if others:  # a typo (tst) or a split of the user's own: YOLO's data.yaml names neither
        print(f"simdrive: warning: split{'s' if len(others) > 1 else ''} "
              f"{', '.join(others)} {'are' if len(others) > 1 else 'is'} not train, val or "
              "test: the images go to folders of that name"
              + (", which YOLO's data.yaml does not list" if "yolo" in options.formats
                 else ""), file=sys.stderr)
    summary = render_dataset(args.paths, args.output, options, workers=args.workers,
                             cluster=args.cluster, force=args.force,
                             command=args.command_line, quiet=args.quiet)
    # per class, as the files count them (every class of a map; the kinds with boxes)
    shown = summary.class_boxes.items() if options.classes else summary.boxes.items()
    boxes = ", ".join(f"{name} {n}" for name, n in shown) or "none"
    print(f"{_count(summary.frames, 'frame')} in {args.output} "
          f"({_count(summary.shards_run, 'shard')} rendered, "
          f"{summary.shards_skipped} already done) in {summary.seconds:.1f} s; "
          f"variants kept {summary.kept}, dropped by require: {summary.dropped}; "
          f"boxes: {boxes}; report: {args.output}/report/report.md")
    if summary.kept == 0:
        print(f"simdrive: warning: require: kept none of the {summary.dropped} variants "
              "simulated, so the dataset holds no image; render more variants (--limit) or "
              "loosen the scenario's require:", file=sys.stderr)
    if summary.empty_splits:
        from simdrive.dataset.report import empty_splits_note

        note = empty_splits_note(summary.empty_splits, summary.kept, "yolo" in options.formats)
        print(f"simdrive: warning: {note}", file=sys.stderr)
    if summary.frames:
        from simdrive.dataset.report import no_train_note

        note = no_train_note(options.split, "yolo" in options.formats)
        if note:
            print(f"simdrive: warning: {note}", file=sys.stderr)
    for name, left in summary.cameras_left:
        print(f"simdrive: note: {name} also has camera{'s' if len(left) > 1 else ''} "
              f"{', '.join(left)}, not rendered: without --cameras a dataset takes each "
              "scenario's first camera (--cameras names the ones to render)",
              file=sys.stderr)
    for name, camera, height in summary.depth_too_far:
        print(f"simdrive: warning: {name}: bird's-eye camera {camera} is {height:g} m above "
              f"the ground, past the depth extra's range (16-bit millimetres, up to "
              f"{DEPTH_MAX_M} m): its depth PNGs hold 0 (no depth) wherever the scene is "
              f"more than {DEPTH_MAX_M} m below it; lower the camera (z) and widen "
              "metres_per_pixel to see as much", file=sys.stderr)
    if summary.unlabelled_shown:
        shown = ", ".join(f"{kind} ({n} times in view)" for kind, n in summary.unlabelled_shown)
        boxes = [f for f in ("coco", "yolo") if f in options.formats]
        where = " and ".join(f.upper() for f in boxes)
        print(f"simdrive: warning: --classes gives no class to {shown}: the frames show them "
              "unlabelled" + (f", as background in {where}" if boxes else "")
              + (" (DontCare in KITTI)" if "kitti" in options.formats else "")
              + "; put them in a class to label them", file=sys.stderr)
    for camera, kind, count in summary.never_kept:
        f = options.filter_for(camera, kind)
        # a kind's own value holds over a camera's: for those, only the kind's item helps
        own = dict(dict(options.class_filters).get(kind, ()))
        ways = [] if own.keys() & {"min_height_px", "min_pixels"} else [
            f"{_filter_option(options, camera, 'min_height_px', 0)} "
            f"{_filter_option(options, camera, 'min_pixels', 1)} keeps {camera}'s small boxes"]
        ways.append(f"{_filter_option(options, kind, 'min_height_px', 2)} keeps small {kind} "
                    "boxes in every camera")
        dark = _filter_option(options, kind if "min_visibility" in own else camera,
                              "min_visibility", 0.0)
        ways.append(f"{dark} keeps dark or fogged ones")
        which = options.class_map.names[options.class_map.index(kind)] \
            if options.classes else None
        print(f"simdrive: warning: camera {camera}: none of the {count} {kind} boxes that "
              f"show pixels passed its box filters (min pixels {f.min_pixels}, "
              f"min height {f.min_height_px}, max occlusion {f.max_occlusion}, "
              f"min visibility {f.min_visibility}): the dataset has no {kind} "
              + (f"(class {which}) " if which and which != kind else "")
              + "in that camera, only ignore regions (COCO, KITTI) and background (YOLO); "
              "each filter option takes a value for that camera or that kind alone after the "
              f"others ({'; '.join(ways)})", file=sys.stderr)
    return 0


def _filter_option(options, key: str, field: str, value) -> str:
    """One filter option as typed: its general value, the other cameras' and classes' own
    values, and ``key=value`` (a camera or a class: the render summary's suggestion)."""
    from simdrive.dataset.options import FILTER_OPTIONS

    option = next(o for o, name, _ in FILTER_OPTIONS if name == field)
    items = [f"{getattr(options.box_filter, field):g}"]
    items += [f"{name}={getattr(f, field):g}" for name, f in options.camera_filters
              if name != key and getattr(f, field) != getattr(options.box_filter, field)]
    items += [f"{name}={dict(fields)[field]:g}" for name, fields in options.class_filters
              if name != key and field in dict(fields)]
    return f"{option} {','.join([*items, f'{key}={value:g}'])}"


def report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from simdrive.dataset.records import missing_files
    from simdrive.dataset.report import write_report

    problems = missing_files(Path(args.path))
    path = write_report(args.path, problems=problems)
    for line in problems:
        print(f"simdrive: warning: {line}", file=sys.stderr)
    print(f"wrote {path}" + (" (the folder lacks files its run wrote, see the warnings; "
                             "the dataset's render command, run again, writes them)"
                             if problems else ""))
    return 0


def schema(args: argparse.Namespace) -> int:
    from simdrive.scenario.json_schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2))
    return 0


def _count(n: int, word: str) -> str:
    """``n word`` with the plural s when n is not 1."""
    return f"{n} {word}" + ("" if n == 1 else "s")
