"""The ``simdrive`` command. Thin: it parses arguments and calls the library.

Errors caused by bad input (SimdriveError) are printed as one paragraph and
exit with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from simdrive import __version__, commands, view_commands
from simdrive.errors import SimdriveError


def _one_variant_arguments(command: argparse.ArgumentParser) -> None:
    """PATH, --variant and --camera: the commands that show one variant (frame, preview)."""
    command.add_argument("path", metavar="PATH", help="a scenario file or a found file")
    command.add_argument("--variant", type=int, default=0, metavar="K",
                         help="variant index, or place in a found file (default 0)")
    command.add_argument("--camera", default=None, metavar="NAME",
                         help="camera name or preset (default: the scenario's first camera)")


def _picture_arguments(command: argparse.ArgumentParser, what: str) -> None:
    """--weather, --lighting, --overlay and --quiet: how frame and video draw (``what``)."""
    command.add_argument("--weather", default=None, metavar="W",
                         help=f"draw the {what} in this weather instead of the variant's "
                              "(picture and label visibility only; the run keeps its own)")
    command.add_argument("--lighting", default=None, metavar="L",
                         help=f"draw the {what} in this lighting (dawn, noon, dusk, night) "
                              "instead of the variant's")
    command.add_argument("--overlay", action="store_true",
                         help="draw amodal and visible boxes, class and occlusion")
    command.add_argument("--quiet", action="store_true",
                         help="no note when the first run compiles the kernels")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simdrive",
        description="Driving-scenario simulation for labelled synthetic camera data.",
    )
    parser.add_argument("--version", action="version", version=f"simdrive {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = subparsers.add_parser(
        "demo", help="simulate the shipped urban-street example and print what happened",
        description="Simulate the shipped urban-street example (a car brakes for a child "
                    "crossing) and print what happened.")
    demo.set_defaults(handler=commands.demo)

    validate = subparsers.add_parser(
        "validate", help="check scenario files (or found files)",
        description="Check scenario files (and found files of simdrive search, with the "
                    "scenario they name): the file, its map and the worlds of its variants "
                    "(256 spread over its grid when it has more). One ok line per file, or "
                    "the file's first error and exit code 2.")
    validate.add_argument("paths", nargs="+", metavar="PATH",
                          help="scenario files or found files")
    validate.set_defaults(handler=commands.validate)

    variants = subparsers.add_parser(
        "variants", help="list the concrete variants of a scenario",
        description="List the concrete variants of a scenario file (or those of a found "
                    "file of simdrive search): index, seed and every resolved parameter.")
    variants.add_argument("path", metavar="PATH", help="a scenario file or a found file")
    variants.add_argument("--limit", type=int, default=None, metavar="N",
                          help="N variants spread over the grid (a found file: its first N)")
    variants.add_argument("--json", action="store_true", help="one JSON object per line")
    variants.set_defaults(handler=commands.variants)

    simulate = subparsers.add_parser("simulate", help="run the physics for a scenario's variants",
                                   description="Simulate the variants of a scenario file, or "
                                               "those listed in a found file of simdrive search.")
    simulate.add_argument("path", metavar="PATH", help="a scenario file or a found file")
    simulate.add_argument("--limit", type=int, default=None, metavar="N",
                          help="N variants spread over the grid (a found file: its first N)")
    simulate.add_argument("--variant", type=int, action="append", default=None, metavar="K",
                          help="variant K only (index, or place in a found file; repeat for "
                               "more), with what happened in its run, in order")
    simulate.add_argument("--workers", type=int, default=None,
                          help="threads (default: all cores)")
    simulate.add_argument("--json", action="store_true", help="one JSON object per line")
    simulate.add_argument("--quiet", action="store_true",
                       help="no note when the first run compiles the kernels")
    simulate.set_defaults(handler=commands.simulate)

    frame = subparsers.add_parser(
        "frame", help="render one camera frame of a variant",
        description="Render one camera frame of a variant at a time, as a PNG or JPEG with "
                    "the synthetic mark, plus OUT.json with the camera and every actor's "
                    "labels; --overlay draws the boxes.")
    _one_variant_arguments(frame)
    frame.add_argument("--time", type=float, default=0.0, metavar="T",
                       help="simulated time in s (default 0)")
    frame.add_argument("-o", "--output", required=True, metavar="OUT",
                       help="image file (.png or .jpg); its labels go to OUT's .json")
    _picture_arguments(frame, "frame")
    frame.set_defaults(handler=view_commands.frame)

    video = subparsers.add_parser(
        "video", help="render a variant's run as an MP4 clip",
        description="Render a variant's run through one camera as an MP4 clip in real time "
                    "(a frame every K simulation steps), with its labels per frame in "
                    "OUT's .json.")
    _one_variant_arguments(video)
    video.add_argument("-o", "--output", required=True, metavar="OUT.mp4",
                       help="the clip (.mp4); its labels go to OUT's .json")
    video.add_argument("--every", type=int, default=None, metavar="K",
                       help="a frame every K simulation steps (default: render.every, 2)")
    video.add_argument("--start", type=float, default=0.0, metavar="T",
                       help="first frame's time, s (default 0)")
    video.add_argument("--end", type=float, default=None, metavar="T",
                       help="last frame's time, s (default: the run's end)")
    _picture_arguments(video, "clip")
    video.set_defaults(handler=view_commands.video)

    preview = subparsers.add_parser(
        "preview", help="play a variant in an interactive window",
        description="Open a window with the camera view and a bird's-eye view of a variant, "
                    "playing in real time, with labels, HUD, step back, manual driving and hot "
                    "reload of the scenario file; press h in the window for the keys.")
    _one_variant_arguments(preview)
    preview.add_argument("--save-dir", default=None, metavar="DIR",
                         help="where the s key saves frames (default: the current folder)")
    preview.add_argument("--time", type=float, default=None, metavar="T",
                         help="start at simulated time T s, paused (default: from 0, playing)")
    preview.add_argument("--select", default=None, metavar="ACTOR",
                         help="select an actor (its panel, its box highlighted)")
    preview.add_argument("--screenshot", default=None, metavar="PNG",
                         help="draw the window once, save it to PNG and exit (no window "
                              "opens: for scripts and CI)")
    preview.add_argument("--quiet", action="store_true",
                       help="no note when the first run compiles the kernels")
    preview.set_defaults(handler=view_commands.preview)

    search = subparsers.add_parser(
        "search", help="search a scenario for its rare critical variants",
        description="Simulate variants chosen by a search method and write the critical ones "
                    "found (a file simulate accepts), spread over the failure region, with the "
                    "estimated probability of the critical event.")
    search.add_argument("path", metavar="PATH", help="a scenario file")
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
    figure = search.add_mutually_exclusive_group()
    figure.add_argument("--plot", default=None, metavar="PNG",
                        help="figure path (default: the output with .png)")
    figure.add_argument("--no-plot", action="store_true", help="write no figure")
    search.add_argument("--quiet", action="store_true", help="no progress lines")
    search.set_defaults(handler=commands.search)

    render = subparsers.add_parser(
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
                        help="N variants of each file, spread over its grid (a found "
                             "file: its first N)")
    render.add_argument("--after-collision", type=float, default=None, metavar="S",
                        help="stop each variant's frames S s after the ego's first collision "
                             "(default: the whole run)")
    render.add_argument("--image-format", default="jpg",
                        help="jpg (quality 90, the default) or png")
    render.add_argument("--extras", default="", metavar="KINDS",
                        help="comma-separated: depth, semantic, instance")
    render.add_argument("--classes", default=None, metavar="MAP",
                        help="the dataset's classes in index order, each CLASS=KIND+KIND or a "
                             "bare KIND, e.g. vehicle=car+van+truck+bus,person=adult+child,"
                             "cyclist; kinds in no class are not labelled (default: a class "
                             "per actor kind)")
    render.add_argument("--split", default="train=0.8,val=0.1,test=0.1",
                        help="split ratios by variant (default train=0.8,val=0.1,test=0.1)")
    render.add_argument("--split-seed", type=int, default=0, metavar="S",
                        help="seed of the split draw per variant (default 0)")
    render.add_argument("--min-pixels", default=None, metavar="N[,NAME=N]",
                        help="least visible pixels of a box (default 25); NAME=N items set "
                             "one camera's, one actor kind's or --classes class's (in every "
                             "camera) or one weather's "
                             "(its frames), e.g. 25,bev=1")
    render.add_argument("--min-height", default=None, metavar="PX[,NAME=PX]",
                        help="least visible box height, px (default 8), e.g. 8,bev=0,tyre=2")
    render.add_argument("--max-occlusion", default=None, metavar="SHARE[,NAME=SHARE]",
                        help="most occluded share of a box (default 0.9)")
    render.add_argument("--min-visibility", default=None, metavar="V[,NAME=V]",
                        help="least fog/darkness visibility exp(-3 d / V) (default 0.05), "
                             "e.g. 0.05,fog=0.25")
    render.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: all cores)")
    render.add_argument("--cluster", default=None, metavar="ADDRESS",
                        help="run shards on Dask: 'local' or a scheduler address")
    render.add_argument("--force", action="store_true",
                        help="write into a non-empty folder, or replace a different dataset")
    render.add_argument("--quiet", action="store_true", help="no progress output")
    render.set_defaults(handler=commands.render)

    report = subparsers.add_parser(
        "report", help="write plots and report.md for a dataset",
        description="Write report/report.md and its plots for a dataset folder of simdrive "
                    "render (render writes it at its end too), and warn about files the "
                    "folder lacks.")
    report.add_argument("path", metavar="DIR", help="a dataset folder of simdrive render")
    report.set_defaults(handler=commands.report)

    schema = subparsers.add_parser(
        "schema", help="print the JSON Schema of scenario files",
        description="Print the JSON Schema of scenario files (editors validate and complete "
                    "with it: see the README's Scenario files).")
    schema.set_defaults(handler=commands.schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["simdrive", *(sys.argv[1:] if argv is None else argv)]
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    if sys.stdout is None:  # started with standard output closed (simdrive schema >&-)
        if sys.stderr is not None:
            print("simdrive: error: standard output is closed; expected somewhere to write "
                  "the output (a terminal, a file or a pipe)", file=sys.stderr)
        return 2
    real_stdout = sys.stdout
    sys.stdout = _Output(real_stdout)
    try:
        if args.handler is commands.render:  # said once its options have passed their checks
            args.first_run_note = lambda: _first_run_note(args)
        else:
            _first_run_note(args)
        code = args.handler(args)
        sys.stdout.flush()  # here, so a closed pipe is seen below, not at exit
        return code
    except SimdriveError as error:
        if isinstance(error, _OutputError):  # the interpreter's last flush would fail too
            os.dup2(os.open(os.devnull, os.O_WRONLY), real_stdout.fileno())
        print(f"simdrive: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: files are written atomically, a rerun resumes
        resumes = " (run the same command again to resume)"
        print("simdrive: interrupted" + (resumes if args.handler is commands.render else ""),
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``simdrive variants ... | head``): stop quietly, as a tool
        # killed by SIGPIPE would; stdout goes to /dev/null so the interpreter's final
        # flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), real_stdout.fileno())
        return 141  # 128 + SIGPIPE
    finally:
        sys.stdout = real_stdout


class _OutputError(SimdriveError):
    """Standard output cannot be written (a full disk, a closed descriptor)."""


class _Output:
    """sys.stdout during a command: a failed write or flush (other than a closed pipe, see
    main) is a clear error, not a traceback (simdrive schema > file on a full disk)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _OutputError(f"cannot write to standard output ({error.strerror or error})",
                               expected="standard output with room to write") from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _OutputError(f"cannot write to standard output ({error.strerror or error})",
                               expected="standard output with room to write") from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _first_run_note(args: argparse.Namespace) -> None:
    """Say so on stderr when a command is about to compile numba kernels (an empty cache:
    the first run after installing), or a first command would sit silent for up to half
    a minute."""
    from simdrive.render import warmup

    renders = args.handler in (commands.render, view_commands.frame, view_commands.preview,
                               view_commands.video)
    if getattr(args, "quiet", False) or not (renders or args.handler in (
            commands.simulate, commands.search, commands.demo)):
        return
    if warmup.simulation_kernels_cached() and (not renders or warmup.render_kernels_cached()):
        return
    print("simdrive: first run: compiling numba kernels into the cache (about half a minute "
          "on two quiet cores, minutes on a busy machine; the cache keeps them for later "
          "runs)", file=sys.stderr,
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
