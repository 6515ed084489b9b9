"""`callbot model …`: train, score and evaluate a ranking model on any lead table; the database's model versions,
rollback, campaign weights and segments."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import click

from callbot.errors import CallbotError
from callbot.tabular import Table, labels, read_table, time_order

MODEL_FILE = "model.pkl"
INFO_FILE = "model.json"


def _read(path: str) -> Table:
    try:
        return read_table(Path(path))
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None


def _prepared(
    path: str, target: str, positive: str, exclude: tuple[str, ...], time_column: str | None, unordered: bool
) -> tuple[list[dict[str, str]], list[int], list[str], str]:
    """Rows oldest first (unless unordered), their labels, the feature column names, and how the order was found."""
    table = _read(path)
    try:
        y = labels(table, target, positive)
        order, how = (
            (list(range(len(table.rows))), "none (random splits)") if unordered else time_order(table, time_column)
        )
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None
    if sum(y) == 0:
        raise click.ClickException(f"no row has {target} = {positive!r}")
    rows = [table.rows[i] for i in order]
    names = [h for h in table.headers if h != target]  # the excluded ones are listed as such in the model
    return rows, [y[i] for i in order], names, how


_ORDER_OPTIONS = [
    click.option(
        "--exclude",
        multiple=True,
        help="A column never to learn from (repeatable), e.g. one known only after the call.",
    ),
    click.option(
        "--time",
        "time_column",
        help="Column giving when each row happened (default: the first date column, else the file's order).",
    ),
    click.option(
        "--unordered", is_flag=True, help="The rows are not in time order: split at random instead of by time."
    ),
]


def _order_options(func: Any) -> Any:
    for option in reversed(_ORDER_OPTIONS):
        func = option(func)
    return func


@click.group("model")
def model_group() -> None:
    """Learned ranking: train, score and evaluate on lead tables; model versions in the database."""


@model_group.command("train")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--target", required=True, help="The outcome column.")
@click.option("--positive", required=True, help="The outcome value that counts as a success.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Directory to write the model to.")
@_order_options
def train_command(
    file: str, target: str, positive: str, out: str, exclude: tuple[str, ...], time_column: str | None, unordered: bool
) -> None:
    """Train a calibrated ranking model on FILE and write it to --out."""
    from scoring.learn import train

    rows, y, names, how = _prepared(file, target, positive, exclude, time_column, unordered)
    try:
        model = train(rows, y, names, exclude=exclude, time_ordered=not unordered)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MODEL_FILE).write_bytes(model.to_bytes())
    info = {
        "target": target,
        "positive": positive,
        "order": how,
        "family": model.family,
        "features": model.schema.names,
        "dropped": dict(model.schema.dropped),
        "top_features": model.importances[:10],
        "validation": model.validation,
        **model.info,
    }
    (folder / INFO_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False), encoding="utf-8")
    click.echo(f"trained on {len(y)} rows ({sum(y)} positive), order: {how}; model: {model.family}")
    click.echo(f"validation ({model.validation['split']}): ROC AUC {model.validation['auc']}")
    if model.schema.dropped:
        click.echo("left out: " + "; ".join(f"{k} ({v})" for k, v in model.schema.dropped.items()))
    click.echo("top features: " + ", ".join(name for name, _ in model.importances[:5]))
    click.echo(f"written to {folder}")


@model_group.command("score")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model_dir", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="CSV to write (score, reasons).")
@click.option("--reasons/--no-reasons", default=True, show_default=True, help="Add the top 3 reasons in words.")
def score_command(file: str, model_dir: str, out: str, reasons: bool) -> None:
    """Score every row of FILE (in order) with a trained model: its calibrated probability and why."""
    from scoring.learn import Model

    try:
        model = Model.from_bytes((Path(model_dir) / MODEL_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{model_dir}: not a model directory ({exc})") from None
    table = _read(file)
    probabilities = model.predict(table.rows)
    why = model.explain(table.rows) if reasons else [[] for _ in table.rows]
    partial = Path(out).with_name(Path(out).name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["score", "reasons"] if reasons else ["score"])
        for p, contributions in zip(probabilities, why, strict=True):
            cells = [f"{p:.6f}"]
            if reasons:
                cells.append("; ".join(c.words() for c in contributions))
            writer.writerow(cells)
    partial.replace(out)
    click.echo(f"{len(table.rows)} rows scored to {out}")


@model_group.command("evaluate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--target", required=True, help="The outcome column.")
@click.option("--positive", required=True, help="The outcome value that counts as a success.")
@click.option("--folds", default=5, show_default=True, help="Rolling-origin periods over the later half.")
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@_order_options
def evaluate_command(
    file: str,
    target: str,
    positive: str,
    folds: int,
    as_json: bool,
    exclude: tuple[str, ...],
    time_column: str | None,
    unordered: bool,
) -> None:
    """ROC AUC, lift in the top 10 % and calibration: by time (train on the past, score the next period) when the
    rows are in time order, and on a stratified held-out fifth."""
    from scoring.learn import evaluate

    rows, y, names, how = _prepared(file, target, positive, exclude, time_column, unordered)
    try:
        result = evaluate(rows, y, names, exclude=exclude, time_ordered=not unordered, folds=folds)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    result["order"] = how
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"{result['rows']} rows, {result['positives']} positive; order: {how}")
    by_time = result.get("by_time")
    if by_time:
        click.echo("by time (rolling origin over the later half):")
        for i, fold in enumerate(by_time["folds"], start=1):
            click.echo(
                f"  period {i}: trained on {fold['train_rows']} rows, scored {fold['rows']}: ROC AUC {fold['auc']}, "
                f"lift top 10 % {fold['lift_top10']}, Brier {fold['brier']}, ECE {fold['ece']}"
            )
        click.echo(f"  mean ROC AUC {by_time['mean_auc']}, mean lift top 10 % {by_time['mean_lift_top10']}")
    holdout = result.get("holdout")
    if holdout:
        click.echo(
            f"stratified held-out fifth: ROC AUC {holdout['auc']}, lift top 10 % {holdout['lift_top10']}, "
            f"Brier {holdout['brier']}, ECE {holdout['ece']}"
        )


# ---- the database's models --------------------------------------------------------------------------------------


def _database() -> Any:
    """A session factory on CALLBOT_DATABASE_URL and its engine (dispose it)."""
    from callbot import db
    from callbot.settings import Settings

    engine = db.make_engine(Settings.database_url_from_env())
    return db.make_sessionmaker(engine), engine


def _in_transaction(work: Any) -> Any:
    from callbot.db import utcnow

    sessions, engine = _database()
    try:
        with sessions.begin() as session:
            return work(session, utcnow())
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


@model_group.command("retrain")
@click.option("--min-rows", default=200, show_default=True, help="Settled outcomes needed to train.")
@click.option("--min-wins", default=30, show_default=True, help="Wins (and non-wins) needed to train.")
def retrain_command(min_rows: int, min_wins: int) -> None:
    """What the nightly job does, now: weights, retrain (promoted only if at least as good), apply, segments."""
    from callbot import retraining

    result = _in_transaction(lambda s, now: retraining.nightly(s, now, min_rows=min_rows, min_wins=min_wins))
    click.echo(result.retrained.message)
    click.echo(f"{result.scored_by_model} leads scored by the model, {result.segmented} segmented")


@model_group.command("versions")
def versions_command() -> None:
    """List the model versions, newest first."""
    from callbot import model_versions

    def show(session: Any, now: Any) -> None:
        for v in model_versions.versions(session):
            auc = v.metrics.get("auc")
            click.echo(f"{v.id}\t{v.status}\t{v.created_at:%Y-%m-%d %H:%M}\t{v.n_rows} rows\tAUC {auc}\t{v.note or ''}")

    _in_transaction(show)


@model_group.command("rollback")
@click.option("--to", "version_id", type=int, help="Activate this version (default: the one active before).")
def rollback_command(version_id: int | None) -> None:
    """Go back to the previous model version (or a given one) and rescore the leads not yet called."""
    from callbot import model_versions

    def work(session: Any, now: Any) -> int:
        version = (
            model_versions.activate(session, version_id, now) if version_id else model_versions.rollback(session, now)
        )
        model_versions.apply_active(session, now)
        return version.id

    click.echo(f"version {_in_transaction(work)} is active")


@model_group.command("segments")
@click.option("--campaign", "campaign_id", type=int, help="Only this campaign.")
def segments_command(campaign_id: int | None) -> None:
    """Recompute every lead's value tier, relationship group and lifecycle stage."""
    from callbot import lead_segments

    count = _in_transaction(lambda s, now: lead_segments.refresh(s, now, campaign_id))
    click.echo(f"{count} leads segmented")


@model_group.command("weights")
@click.argument("campaign_id", type=int)
@click.argument("pairs", nargs=-1)
@click.option("--reset", is_flag=True, help="Back to the default weights.")
def weights_command(campaign_id: int, pairs: tuple[str, ...], reset: bool) -> None:
    """Show or set a campaign's rule-score weights: `callbot model weights 3 fresh_1h=25 source_zalo=8`."""
    from callbot import score_weights
    from scoring.rank import WEIGHTS

    def work(session: Any, now: Any) -> dict[str, int]:
        current = score_weights.weights_of(session, campaign_id)
        if not pairs and not reset:
            return current
        wanted = {} if reset else dict(current)
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not value.strip().lstrip("-").isdigit():
                raise CallbotError(f"{pair!r}: write rule=points, e.g. fresh_1h=25")
            wanted[key.strip()] = int(value)
        return score_weights.set_weights(session, campaign_id, wanted, now)

    overrides = _in_transaction(work)
    for key, default in WEIGHTS.items():
        mark = f"{overrides[key]} (default {default})" if key in overrides else str(default)
        click.echo(f"{key}\t{mark}")
