"""The ``simdrive`` command. Thin: it parses arguments and calls the library.

Errors caused by bad input (SimdriveError) are printed as one paragraph and
exit with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys

from simdrive import __version__
from simdrive.errors import SimdriveError


def _demo(args: argparse.Namespace) -> int:
    from simdrive.examples.urban_street import main as run_example

    run_example()
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
