"""The short training report (report.md) written beside the model."""

from __future__ import annotations

from typing import Any


def _pct(v: object) -> str:
    return f"{v:.4%}" if isinstance(v, float) else "n/a"


def _ci(cm: dict[str, Any]) -> str:
    lo, hi = cm.get("ci95", (None, None))
    return f"{lo:.2%}-{hi:.2%}" if isinstance(lo, float) and lo == lo else "n/a"


def regime_lines(metrics: dict[str, Any]) -> list[str]:
    """One line per regime: held-out and (with CV) out-of-fold accuracy, rows and 95% CI."""
    held = metrics["heldout"].get("regime", {})
    cv = metrics.get("cross_validation") or {}
    oof = cv.get("out_of_fold", {}).get("regime", {})
    lines = []
    for value in sorted(set(held) | set(oof)):
        parts = [f"regime {value}:"]
        for label, cms in (("held-out", held), ("out-of-fold", oof)):
            cm = cms.get(value)
            if cm:
                parts.append(
                    f"{label} {_pct(cm['accuracy'])} on {cm['rows']} rows (95% CI {_ci(cm)})"
                )
        lines.append(" ".join(parts[:1]) + " " + "; ".join(parts[1:]))
    return lines


def _group_table(title: str, groups: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## {title}",
        "",
        "| group | value | rows | accuracy | 95% CI | tp | tn | fp | fn |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for col in ("regime", "balance", "kernel", "workload"):
        for value, cm in groups.get(col, {}).items():
            lines.append(
                f"| {col} | {value} | {cm['rows']} | {_pct(cm['accuracy'])} | {_ci(cm)} | "
                f"{cm['tp']} | {cm['tn']} | {cm['fp']} | {cm['fn']} |"
            )
    return lines


def render_report(metrics: dict[str, Any], provenance: dict[str, Any]) -> str:
    held = metrics["heldout"]
    lines = [
        "# MLLB training report",
        "",
        f"- model: **{metrics['chosen']['name']}** ({metrics['chosen']['output']} output, "
        f"threshold {metrics['chosen']['threshold']}, feature set "
        f"{metrics['chosen']['feature_set']}, hidden {metrics['chosen']['hidden']})",
        f"- data: {provenance['rows_in']} records, {provenance['rows_after_filters']} after the "
        f"paper's filters; {held['all']['rows']} held out",
    ]
    if provenance.get("synthetic"):
        lines.append("- **synthetic data** (mllb_lab.ml.synthetic): not a real capture")
    lines += [
        f"- held-out accuracy: **{_pct(held['all']['accuracy'])}** (always answering the "
        f"majority label: {_pct(metrics.get('heldout_majority_baseline'))})",
    ]
    cv = metrics.get("cross_validation")
    if cv:
        lines.append(
            f"- {cv['folds']}-fold stratified CV: {_pct(cv['accuracy_mean'])} "
            f"± {cv['accuracy_std']:.4%}"
        )
    lines += ["", "## Per regime", ""] + [f"- {line}" for line in regime_lines(metrics)]
    lines += _group_table("Held-out accuracy per group", held)
    if cv and cv.get("out_of_fold"):
        lines += _group_table(
            "Out-of-fold accuracy per group (every training row, decided by the fold model "
            "that did not see it)",
            cv["out_of_fold"],
        )
    sel = metrics.get("selection")
    if sel:
        lines += [
            "",
            "## Model selection (inner validation split)",
            "",
            "| candidate | accuracy | idle accuracy | chosen |",
            "|---|---|---|---|",
        ]
        for row in sel:
            lines.append(
                f"| {row['candidate']} | {_pct(row['validation_accuracy'])} | "
                f"{_pct(row['validation_accuracy_idle'])} | {'yes' if row['chosen'] else ''} |"
            )
    agr = metrics["agreement"]
    lines += [
        "",
        "## C implementation vs Keras (held-out rows)",
        "",
        f"- c-float: {_pct(agr['c_float_agree'])} same decisions, max |diff| "
        f"{agr['c_float_max_abs_diff']:.3g}",
        f"- c-fixed (Q21.11): {_pct(agr['c_fixed_agree'])} same decisions, max |diff| "
        f"{agr['c_fixed_max_abs_diff']:.3g}",
        f"- gates (100% float, 99.9% fixed): {'passed' if agr['passed'] else 'FAILED'}; "
        f"disagreements: {agr['disagreement_count']} (rows listed in metrics.json)",
        "",
    ]
    return "\n".join(lines)
