"""The `mllb-lab` command: parse, call one function per command, map errors to exit codes.

Each command group lives in mllb_lab/commands/<group>.py and exposes
`register(subparsers)`; the parsers it adds set `func(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from typing import NoReturn

from mllb_lab import __version__
from mllb_lab.errors import EXIT_INTERRUPTED, EXIT_USER, MllbError

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a killed writer

# Command groups, in the order `--help` shows them.
COMMAND_MODULES = (
    "lab",
    "image",
    "ml",
    "capture",
    "campaign",
    "results",
    "report",
    "nightly",
    "power",
    "kmod",
    "kernel",
)


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus a message; our contract is one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        sys.exit(EXIT_USER)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="mllb-lab",
        description="Lab automation for MLLB: testbeds, capture campaigns, training, export.",
    )
    parser.add_argument("--version", action="version", version=f"mllb-lab {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"mllb_lab.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except MllbError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
        sys.stderr.write(f"mllb-lab: error: {exc}\n")
        return exc.exit_code
    except BrokenPipeError:
        # `mllb-lab status | head`: the reader left; say nothing more, as other CLI tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        sys.stderr.write("mllb-lab: interrupted; state kept, rerun to resume\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
