"""The `callbot` command line: database, users, campaigns, leads, and the processes (serve, dialer, simulator, demo)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from dotenv import find_dotenv, load_dotenv
from sqlalchemy.orm import Session

from callbot import campaigns, db, dnc, intake, leadfiles, tokens, users
from callbot.cli_ops import OPS_COMMANDS
from callbot.errors import CallbotError
from callbot.settings import Settings


@contextmanager
def _transaction() -> Iterator[Session]:
    """One transaction on CALLBOT_DATABASE_URL; our errors become clean CLI errors; the engine is disposed."""
    engine = db.make_engine(Settings.database_url_from_env())
    try:
        with db.make_sessionmaker(engine).begin() as session:
            yield session
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """callbot: qualify and triage sales leads by phone."""
    load_dotenv(find_dotenv(usecwd=True))  # the .env of the directory callbot is run from


@main.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply migrations to CALLBOT_DATABASE_URL."""
    url = Settings.database_url_from_env()
    db.upgrade(url, revision)
    engine = db.make_engine(url)
    try:
        click.echo(f"database at {db.current_revision(engine)}")
    finally:
        engine.dispose()


@main.group("users")
def users_group() -> None:
    """Panel users."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice(users.ROLES), default="telesales", show_default=True)
@click.password_option(help="Password (asked when not given).")
def users_create(email: str, name: str, role: str, password: str) -> None:
    """Create a panel user."""
    with _transaction() as session:
        user = users.create_user(session, email, name, password, role, db.utcnow())
        click.echo(f"created {user.role} {user.email}")


@main.group("campaigns")
def campaigns_group() -> None:
    """Campaigns."""


@campaigns_group.command("create")
@click.argument("name")
@click.option(
    "--preset",
    type=click.Choice(["vn", "us", "permissive"]),
    default="vn",
    show_default=True,
    help="Calling rules: vn 08:00–17:00, us 08:00–21:00, permissive any hour (not for advertising).",
)
@click.option("--company", default="", help="Company name the bot introduces itself with.")
@click.option("--service", default="", help="Default service leads registered for.")
@click.option("--language", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option(
    "--keep-open",
    is_flag=True,
    help="Keep running when no lead is left to call (leads keep coming through the JSON API).",
)
def campaigns_create(name: str, preset: str, company: str, service: str, language: str, keep_open: bool) -> None:
    """Create a draft campaign."""
    with _transaction() as session:
        campaign = campaigns.create_campaign(
            session,
            name,
            db.utcnow(),
            preset=preset,
            company=company,
            service=service,
            language=language,
            auto_complete=not keep_open,
        )
        click.echo(f"campaign {campaign.id} {campaign.name!r} created ({campaign.rules_preset})")


@campaigns_group.command("start")
@click.argument("name")
def campaigns_start(name: str) -> None:
    """Start (run) a campaign now; the dialer picks it up on its next tick."""
    with _transaction() as session:
        campaign = campaigns.by_name(session, name)
        if campaign is None:
            raise click.ClickException(f"no campaign named {name!r}")
        campaigns.change_status(campaign, "running", db.utcnow())
        click.echo(f"campaign {campaign.name!r} is running")


def _campaign(session, name: str):  # type: ignore[no-untyped-def]
    campaign = campaigns.by_name(session, name)
    if campaign is None:
        raise click.ClickException(f"no campaign named {name!r}")
    return campaign


@campaigns_group.command("schedule")
@click.argument("name")
@click.option(
    "--at",
    "starts_at",
    required=True,
    help="Start time, ISO 8601; without an offset it is read in the campaign's time zone (2026-11-30T08:00).",
)
def campaigns_schedule(name: str, starts_at: str) -> None:
    """Schedule a campaign to start at a time (e.g. when the ad campaign ends); survives dialer restarts."""
    from zoneinfo import ZoneInfo

    with _transaction() as session:
        campaign = _campaign(session, name)
        try:
            moment = dt.datetime.fromisoformat(starts_at)
        except ValueError:
            raise click.BadParameter(f"not an ISO date and time: {starts_at!r}", param_hint="--at") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(campaign.timezone))
        campaigns.schedule(campaign, moment, db.utcnow())
        click.echo(f"campaign {campaign.name!r} scheduled for {moment.isoformat()}")


@campaigns_group.command("pause")
@click.argument("name")
def campaigns_pause(name: str) -> None:
    """Stop placing new calls at once (calls in progress finish)."""
    with _transaction() as session:
        campaigns.change_status(_campaign(session, name), "paused", db.utcnow())
        click.echo(f"campaign {name!r} paused")


@campaigns_group.command("resume")
@click.argument("name")
def campaigns_resume(name: str) -> None:
    """Resume a paused campaign."""
    with _transaction() as session:
        campaigns.change_status(_campaign(session, name), "running", db.utcnow())
        click.echo(f"campaign {name!r} is running")


@campaigns_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the progress as JSON.")
def campaigns_show(name: str, as_json: bool) -> None:
    """A campaign's status, the rules that apply, its progress and why leads are waiting."""
    import json

    from callbot import compliance

    with _transaction() as session:
        campaign = _campaign(session, name)
        progress = campaigns.progress(session, campaign, db.utcnow())
        if as_json:
            click.echo(json.dumps({"campaign": campaign.name, **progress.as_dict()}, ensure_ascii=False))
            return
        click.echo(
            f"{campaign.name} · {campaign.status}" + (f" · {campaign.status_note}" if campaign.status_note else "")
        )
        for key, value in compliance.rules(campaign, "en"):
            click.echo(f"  {key:<17} {value}")
        for key, value in progress.as_dict().items():
            if key not in ("status", "reasons"):
                click.echo(f"  {key:<17} {value if value is not None else '—'}")
        for reason, count in sorted(progress.reasons.items()):
            click.echo(f"  waiting: {reason:<8} {count}")


@main.group("leads")
def leads_group() -> None:
    """Lead lists."""


def _map_option(func):  # type: ignore[no-untyped-def]
    return click.option(
        "--map",
        "maps",
        multiple=True,
        metavar="FIELD=HEADER",
        help="Use column HEADER for FIELD (" + ", ".join(leadfiles.FIELDS) + ").",
    )(func)


def _overrides(maps: tuple[str, ...]) -> dict[str, str]:
    overrides = {}
    for item in maps:
        fld, sep, header = item.partition("=")
        if not sep or fld not in leadfiles.FIELDS:
            raise click.BadParameter(f"{item!r}: expected FIELD=HEADER with FIELD one of {', '.join(leadfiles.FIELDS)}")
        overrides[fld] = header
    return overrides


@contextmanager
def _progress(path: Path, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal (rows done of the file's lines); nothing when output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=leadfiles.count_data_lines(path), label=label, file=sys.stderr) as bar:
        yield bar.update


def _print_report(report: intake.IntakeReport, what: str) -> None:
    click.echo(f"{report.total} rows {what}")
    for verdict in ("ok", "suspect", "junk", "duplicate", "blocked"):
        if report.by_verdict.get(verdict):
            click.echo(f"  {verdict:<10} {report.by_verdict[verdict]:>9}")
    if report.by_reason:
        click.echo("reasons:")
    for reason, count in report.by_reason.most_common():
        click.echo(f"  {reason:<28} {count:>9}")


FILE_ARG = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
REGION = click.option("--region", default="VN", show_default=True, help="Country of numbers written without one.")


@leads_group.command("check")
@FILE_ARG
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the verdicts (CSV UTF-8: input columns, verdict, phone_e164, reasons).",
)
@click.option(
    "--dnc",
    "dnc_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A do-not-call list (any file with a phone column, or one number per line).",
)
@REGION
@_map_option
def leads_check(file: Path, out: Path, dnc_file: Path | None, region: str, maps: tuple[str, ...]) -> None:
    """Dry run: give every row of FILE its verdict and reasons in OUT.csv; writes nothing to the database."""
    blocked = intake.load_number_list(dnc_file, region) if dnc_file else set()
    try:
        with _progress(file, "checking") as progress:
            report = intake.check_file(
                file, out, region=region, blocked=blocked, overrides=_overrides(maps), progress=progress
            )
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None
    _print_report(report, f"checked, verdicts in {out}")


@leads_group.command("import")
@FILE_ARG
@click.option("--campaign", "campaign_name", required=True, help="Campaign to import into (must exist).")
@REGION
@_map_option
def leads_import(file: Path, campaign_name: str, region: str, maps: tuple[str, ...]) -> None:
    """Import a lead file (CSV, TSV, UTF-16, .xlsx): every row is stored with its verdict and reasons."""
    overrides = _overrides(maps)
    with _transaction() as session:
        campaign = campaigns.by_name(session, campaign_name)
        if campaign is None:
            raise click.ClickException(f"no campaign named {campaign_name!r}")
        with _progress(file, "importing") as progress:
            report = intake.import_file(
                session, campaign, file, db.utcnow(), region=region, overrides=overrides, progress=progress
            )
    _print_report(report, f"imported into {campaign_name!r} (batch {report.batch})")


@main.group("dnc")
def dnc_group() -> None:
    """The do-not-call list."""


@dnc_group.command("import")
@FILE_ARG
@REGION
@click.option("--reason", default="national_list", show_default=True, help="Why these numbers are listed.")
def dnc_import(file: Path, region: str, reason: str) -> None:
    """Add every number of FILE (any format; a phone column or one number per line) to the list."""
    numbers = intake.load_number_list(file, region)
    with _transaction() as session:
        added = dnc.add_many(session, numbers, reason, db.utcnow())
    click.echo(f"{len(numbers)} numbers read, {added} added to the do-not-call list")


@dnc_group.command("add")
@click.argument("number")
@REGION
@click.option("--reason", default="manual", show_default=True)
def dnc_add(number: str, region: str, reason: str) -> None:
    """Add one number (any format) to the list."""
    e164 = _e164(number, region)
    with _transaction() as session:
        added = dnc.add_many(session, {e164}, reason, db.utcnow())
    click.echo(f"{e164} {'added to' if added else 'was already on'} the do-not-call list")


@dnc_group.command("remove")
@click.argument("number")
@REGION
def dnc_remove(number: str, region: str) -> None:
    """Remove one number (any format) from the list."""
    e164 = _e164(number, region)
    with _transaction() as session:
        removed = dnc.remove(session, e164)
    click.echo(f"{e164} {'removed from' if removed else 'was not on'} the do-not-call list")


def _e164(number: str, region: str) -> str:
    from scoring import normalize_phone

    check = normalize_phone(number, region)
    if check.e164 is None:
        raise click.BadParameter(f"{number!r} is not a usable phone number ({check.reason})")
    return check.e164


@main.group("tokens")
def tokens_group() -> None:
    """API tokens for the JSON API (stored hashed, scoped, revocable)."""


@tokens_group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(list(tokens.SCOPES)),
    default=tokens.DEFAULT_SCOPES,
    show_default=True,
    help="What the token allows (repeat for several): "
    + "; ".join(f"{scope}: {text}" for scope, text in tokens.SCOPES.items()),
)
def tokens_create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a token named NAME (who or what uses it) and print its secret, once."""
    with _transaction() as session:
        new = tokens.create(session, name, scopes, db.utcnow())
        token_id, token_name, token_scopes, secret = new.token.id, new.token.name, new.token.scopes, new.secret
    # Printed only once the token is committed; callbot keeps nothing but its hash.
    click.echo(f"API token {token_id} {token_name!r} created (scopes: {', '.join(token_scopes)})")
    click.echo("secret (shown only now; store it safely, it cannot be shown again):")
    click.echo(secret)


@tokens_group.command("list")
def tokens_list() -> None:
    """List the tokens: id, name, the secret's first characters, scopes, last use, state (never the secrets)."""
    with _transaction() as session:
        rows = tokens.list_tokens(session)
        if not rows:
            click.echo("no API tokens")
        for token in rows:
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            click.echo(
                f"{token.id:>4}  {token.name:<30}  {token.prefix}…  {','.join(token.scopes):<24}  "
                f"created {token.created_at:%Y-%m-%d %H:%M}  last used {used}  {state}"
            )


@tokens_group.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke token ID at once: requests with it are refused from now on."""
    with _transaction() as session:
        token = tokens.revoke(session, token_id, db.utcnow())
        click.echo(f"API token {token.id} {token.name!r} ({token.prefix}…) revoked")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the web app (webhooks, panel) with the development server; use gunicorn in production."""
    from web import create_app

    create_app(_settings()).run(host=host, port=port)


@main.command()
def dialer() -> None:
    """Run the dialer: starts due campaigns and places calls (exactly one per deployment)."""
    from callbot import logs
    from callbot.dialer import Dialer, DialerService
    from callbot.telephony import TwilioTelephony

    settings = _settings()
    logs.configure(settings.log_format, force=True)  # text or JSON lines, numbers masked
    telephony = TwilioTelephony.from_settings(settings)
    sessions = db.make_sessionmaker(db.make_engine(settings.database_url))
    click.echo(f"dialer running every {settings.dialer_tick_seconds}s (Ctrl-C to stop)")
    service = DialerService(Dialer(sessions, telephony, settings))
    try:
        service.start(background=False)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        service.stop()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True)
@click.option(
    "--personas",
    "personas_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON: {"numbers": {"+8490…": "busy"}, "mix": {"interested": 50, …}}',
)
@click.option("--time-scale", default=1.0, show_default=True, help="Real seconds per simulated second.")
@click.option("--duplicate-callbacks", is_flag=True, help="Chaos: send every status callback twice.")
@click.option(
    "--shuffle-callbacks", is_flag=True, help="Chaos: send a call's progress callbacks in random order at its end."
)
@click.option(
    "--callback-delay",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="Chaos: send each status callback after a random delay of up to SECONDS (real time).",
)
@click.option(
    "--webhook-timeouts",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    metavar="P",
    help="Chaos: probability that a webhook times out (answer thrown away after Twilio's 15 s × time scale; "
    "TwiML fetches go to the FallbackUrl, status callbacks are lost or retried per '#rc=N').",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the chaos (and of the calls' random choices).")
def simulator(
    host: str,
    port: int,
    personas_file: Path | None,
    time_scale: float,
    duplicate_callbacks: bool,
    shuffle_callbacks: bool,
    callback_delay: float,
    webhook_timeouts: float,
    seed: int,
) -> None:
    """Run the local Twilio-compatible simulator (REST API + calls into your webhooks)."""
    import time

    from callbot.simulator import Simulator, load_personas_file

    settings = _settings()
    numbers, mix = load_personas_file(personas_file) if personas_file else ({}, None)
    sim = Simulator(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        personas=numbers,
        default_mix=mix,
        time_scale=time_scale,
        duplicate_callbacks=duplicate_callbacks,
        shuffle_callbacks=shuffle_callbacks,
        callback_delay=callback_delay,
        webhook_timeouts=webhook_timeouts,
        seed=seed,
    )
    url = sim.start(host=host, port=port)
    click.echo(f"Twilio simulator at {url} (set TWILIO_API_BASE_URL={url}); Ctrl-C to stop")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


@main.command()
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="After the funnel, serve the panel until Ctrl-C (or exit).",
)
@click.option("--port", default=5000, show_default=True, help="Port of the panel when serving.")
@click.option("--leads", default=200, show_default=True, help="How many sample leads to generate.")
def demo(serve: bool, port: int, leads: int) -> None:
    """Run a sample campaign end to end on SQLite and the simulator, print its funnel, serve the panel."""
    from callbot import demo as demo_module
    from web import create_app

    result = demo_module.run(create_app, port=port, serve=serve, leads=leads, say=click.echo)
    if not result.finished:
        click.echo("the campaign did not finish in time", err=True)
        sys.exit(1)


for _command in OPS_COMMANDS:
    main.add_command(_command)

from callbot.cli_model import model_group  # noqa: E402 (issue 7: learned ranking)

main.add_command(model_group)


if __name__ == "__main__":
    main()
