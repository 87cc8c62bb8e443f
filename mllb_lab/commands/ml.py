"""CLI commands: train, export, model run, model check (mllb_lab/ml/).

TensorFlow is imported only by the commands that need it, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mllb_lab.errors import UserError
from mllb_lab.progress import Progress

if TYPE_CHECKING:
    from mllb_lab.ml.run import Rows
    from mllb_lab.ml.weights import MlpWeights

# Kept literal so that `--help` does not import numpy/TensorFlow; a unit test checks them
# against mllb_lab.ml (model.CANDIDATES, export.FORMATS, run.IMPLS).
MODEL_CHOICES = ("auto", "paper", "logit", "logit-cw", "logit-ext")
EXPORT_FORMATS = ("c", "blob", "json")
IMPLS = ("keras", "c-float", "c-fixed")
ROW_SETS = ("paper", "asked")


def _train(args: argparse.Namespace) -> int:
    from mllb_lab.ml.report import regime_lines
    from mllb_lab.ml.train import TrainOptions, train

    opts = TrainOptions(
        model=args.model,
        seed=args.seed,
        folds=args.folds,
        holdout=args.holdout,
        epochs=args.epochs,
        batch_size=args.batch_size,
        rows=args.rows,
        class_weights=args.class_weights,
    )
    metrics = train(args.data, args.out, opts, Progress(args.quiet or args.json))
    held = metrics["heldout"]["all"]
    agr = metrics["agreement"]
    if args.json:
        print(json.dumps({"out": str(args.out), **metrics}, default=str))
    else:
        print(
            f"model {metrics['chosen']['name']} -> {args.out}: held-out accuracy "
            f"{held['accuracy']:.4%} on {held['rows']} rows; C agreement float "
            f"{agr['c_float_agree']:.4%}, fixed {agr['c_fixed_agree']:.4%} "
            f"({'passed' if agr['passed'] else 'FAILED'}); report: {args.out / 'report.md'}"
        )
        for line in regime_lines(metrics):
            print(f"  {line}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from mllb_lab.ml.export import export
    from mllb_lab.ml.modeldir import resolve_model

    path = export(resolve_model(args.model_dir, "MODEL_DIR"), args.format, args.out)
    print(json.dumps({"format": args.format, "path": str(path)}) if args.json else str(path))
    return 0


def _rows(args: argparse.Namespace, weights: MlpWeights) -> Rows:
    from mllb_lab.ml.run import parse_input, rows_from_file

    if (args.input is None) == (args.data is None):
        raise UserError("--input/--data", "give exactly one of them", "see --help")
    if args.input is not None:
        return parse_input(args.input, weights.n_in)
    return rows_from_file(args.data, weights)


def _model_run(args: argparse.Namespace) -> int:
    from mllb_lab.ml.modeldir import resolve_model
    from mllb_lab.ml.run import format_result, run_rows

    ref = resolve_model(args.model)
    results = run_rows(ref, _rows(args, ref.weights), args.impl)
    if args.json:
        print(json.dumps({"impl": args.impl, "threshold": ref.weights.threshold, "rows": results}))
    else:
        for r in results:
            print(format_result(r))
    return 0


def _model_check(args: argparse.Namespace) -> int:
    from mllb_lab.ml.agreement import check_agreement
    from mllb_lab.ml.modeldir import resolve_model
    from mllb_lab.ml.run import keras_forward, rows_from_file

    ref = resolve_model(args.model)
    rows = rows_from_file(args.data, ref.weights)
    agr = check_agreement(ref.weights, rows.x, keras_forward(ref, rows.x))
    for d in agr.disagreements:
        d["row"] = rows.labels[int(d["row"])]
    if args.json:
        print(json.dumps(agr.to_json()))
    else:
        for d in agr.disagreements:
            print(
                f"{d['row']}: {d['impl']} decides {d['c_decision']} ({d['c_output']:.5f}), "
                f"keras {d['reference_decision']} ({d['reference_output']:.5f})"
            )
        print(
            f"{agr.rows} rows: c-float agrees {agr.c_float_agree:.4%} (max |diff| "
            f"{agr.c_float_max_abs_diff:.3g}), c-fixed {agr.c_fixed_agree:.4%} (max |diff| "
            f"{agr.c_fixed_max_abs_diff:.3g}): {'passed' if agr.passed else 'FAILED'}"
        )
    if not agr.passed:
        sys.stderr.write("mllb-lab: C and Keras disagree beyond the gates (100%/99.9%)\n")
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the top-level parser."""
    p = sub.add_parser("train", help="train an MLLB model on decision records")
    p.add_argument("data", nargs="+", type=Path, metavar="DATA", help=".parquet/.csv records")
    p.add_argument("--out", required=True, type=Path, metavar="MODEL_DIR")
    p.add_argument(
        "--model",
        default="auto",
        choices=MODEL_CHOICES,
        help="auto: pick the best candidate on a validation split (default); paper: parity",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=3, help="stratified CV folds (0: none)")
    p.add_argument("--holdout", type=float, default=0.1, help="held-out fraction")
    p.add_argument("--epochs", type=int, help="override the model's epoch budget")
    p.add_argument("--batch-size", type=int, help="override the model's batch size")
    p.add_argument(
        "--rows",
        default="paper",
        choices=ROW_SETS,
        help="paper: the paper's filters (default); asked: only the rows a JC_SCHED kernel "
        "asks the model about (kernel-set test_aggressive, no active balancing)",
    )
    p.add_argument(
        "--class-weights",
        action="store_true",
        help="weigh each label inversely to its frequency (e.g. the rare keeps of --rows asked)",
    )
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_train)

    p = sub.add_parser("export", help="write a model as C header, binary blob or JSON")
    p.add_argument("model_dir", type=Path, metavar="MODEL_DIR")
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    p.add_argument("--out", type=Path, help="output file (default MODEL_DIR/export/...)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_export)

    model = sub.add_parser("model", help="run or check a trained model")
    msub = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    for name, func, helptext in (
        ("run", _model_run, "print output and decision per row"),
        ("check", _model_check, "compare Keras, C float and C Q21.11 decisions"),
    ):
        p = msub.add_parser(name, help=helptext)
        p.add_argument("model", type=Path, metavar="MODEL", help="model dir or weights JSON")
        if name == "run":
            p.add_argument("--input", help="comma-separated feature values v1,...,vN")
            p.add_argument("--data", type=Path, help="feature or record file (.parquet/.csv)")
            p.add_argument("--impl", choices=IMPLS, default="keras")
        else:
            p.add_argument("--data", type=Path, required=True, help="feature or record file")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)
