"""The ``esgscreen`` command: serve, db, watchlist, proposals, keys, users, schemas."""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from esgscreen.api.document import OPENAPI_FILE, openapi_text
from esgscreen.core import bounds
from esgscreen.core.freshness import review_queue
from esgscreen.core.risk import weakly_sourced
from esgscreen.core.roles import ROLES
from esgscreen.extensions import services
from esgscreen.service import curation, screenlog
from esgscreen.service.exports import FORMATS as EXPORT_FORMATS
from esgscreen.service.exports import export
from esgscreen.service.importers import UnreadableImport, changes_from_file
from esgscreen.service.loading import ensure_ready, export_directory, load_directory
from esgscreen.service.policies import UnknownPolicy
from esgscreen.service.screening import joined_summaries, screen_batch
from esgscreen.service.snapshots import AsOfError, NoWatchlistYet
from esgscreen.store import audit, keys, repository, users
from esgscreen.store.db import Store
from esgscreen.watchlist.files import read_watchlist, validate_directory
from esgscreen.watchlist.jsonschema import write_json_schemas
from esgscreen.watchlist.validate import WatchlistInvalid
from esgscreen.web.holdings import (
    Holdings,
    HoldingsError,
    decode,
    parse_holdings,
    results_csv,
    subject,
)
from esgscreen.web.present import VERDICTS

ACTIONS = ("exclude", "restrict", "review", "clear")
MAX_FILE_HOLDINGS = 1_000_000

# Ids and version numbers as the database holds them.
ID = click.IntRange(1, bounds.MAX_ID)


def _watchlist_dir(value: str | None) -> Path:
    return Path(value or services().settings.watchlist_dir)


def _upgrade_quietly(store: Store) -> None:
    """Bring the schema up to date before a command's own work, without Alembic's log lines
    (``db upgrade`` shows them); a failing migration still raises."""
    migration_log = logging.getLogger("alembic")
    level = migration_log.level
    migration_log.setLevel(logging.WARNING)
    try:
        store.upgrade()
    finally:
        migration_log.setLevel(level)


# serve -----------------------------------------------------------------------


@click.command("worker")
@with_appcontext
def worker() -> None:
    """Re-screen watches for each new version and deliver their webhooks (run beside gunicorn;
    several may run at once, on several hosts)."""
    from esgscreen.service.worker import Worker

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.environ.get("ESGSCREEN_WORKER_PARENT")
    if parent:  # started by `serve`: end with it
        threading.Thread(target=_end_with_parent, args=(int(parent), stop), daemon=True).start()
    store = services().store
    while not _schema_ready(store):  # `serve` or `db upgrade` migrates; a worker only waits
        click.echo("Waiting for the database schema (esgscreen db upgrade)…", err=True)
        if stop.wait(2.0):
            return
    click.echo("Monitoring worker started; Ctrl-C stops it.")
    Worker(services().monitor, poll_interval=services().settings.worker_poll_interval).run(stop)
    services().store.dispose()


def _schema_ready(store: Store) -> bool:
    try:
        return store.schema_is_current()
    except SQLAlchemyError:
        return False


def _end_with_parent(parent: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def _start_worker() -> subprocess.Popen:
    """`esgscreen worker` beside the server: same environment, ended when the server ends."""
    master = os.getpid()
    process = subprocess.Popen(
        [sys.executable, "-m", "esgscreen", "worker"],
        env={**os.environ, "ESGSCREEN_WORKER_PARENT": str(master)},
    )

    def _stop() -> None:
        if os.getpid() == master:  # gunicorn's forked workers inherit this hook
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)

    atexit.register(_stop)
    return process


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--monitor/--no-monitor", default=None,
              help="Start a monitoring worker alongside (default: ESGSCREEN_SERVE_WORKER, true).")
@with_appcontext
def serve(host: str, port: int, workers: int, monitor: bool | None) -> None:
    """Run the service under gunicorn (migrating and loading the bundled watchlist if new),
    with a monitoring worker alongside."""
    from gunicorn.app.base import BaseApplication

    from esgscreen import serving
    from esgscreen.app import create_app
    from esgscreen.logs import GUNICORN_LOGCONFIG
    from esgscreen.service.metrics import prepare_multiprocess_dir, worker_exited
    from esgscreen.service.screenlog import flush_all

    loaded = ensure_ready(services().store, _watchlist_dir(None))
    if loaded is not None:
        click.echo(f"Loaded the bundled watchlist as version {loaded.current} "
                   f"({loaded.entities} entities).")
    services().store.dispose()
    config = dict(current_app.config)
    prepare_multiprocess_dir()

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", None)
            self.cfg.set("logconfig_dict", GUNICORN_LOGCONFIG)
            serving.apply(self.cfg)
            self.cfg.set("worker_exit", lambda _server, _worker: flush_all())
            self.cfg.set("child_exit", lambda _server, worker: worker_exited(worker.pid))

        def load(self) -> Flask:
            return create_app(config)

    if services().settings.serve_worker if monitor is None else monitor:
        click.echo(f"Monitoring worker started (pid {_start_worker().pid}).")
    click.echo(f"Serving on http://{host}:{port}")
    Server().run()


# db --------------------------------------------------------------------------


@click.group("db")
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every migration the database lacks."""
    services().store.upgrade()
    click.echo("Database schema is up to date.")


# watchlist -------------------------------------------------------------------


@click.group("watchlist")
def watchlist() -> None:
    """The curated watchlist files."""


def _report(problems: list[Any]) -> None:
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(f"{len(problems)} problem(s) found.", err=True)


@watchlist.command("validate")
@click.argument("directory", required=False)
@with_appcontext
def watchlist_validate(directory: str | None) -> None:
    """Check the watchlist files: schema, references, evidence, identifier checksums."""
    path = _watchlist_dir(directory)
    problems = validate_directory(path)
    if problems:
        _report(problems)
        sys.exit(1)
    count = len(list((path / "entities").glob("*.yaml")))
    click.echo(f"{path}: {count} entity files are valid.")
    entities = read_watchlist(path).entities.values()
    years = services().settings.review_due_years
    due = review_queue(entities, date.today(), years)
    weak = sum(weakly_sourced(f.evidence) for e in entities for f in e.flags)
    click.echo(
        f"{len(due)} ongoing flag(s) are review due (newest evidence older than {years} years, "
        "or none dated); a curator adds fresh evidence or concludes them."
    )
    click.echo(f"{weak} flag(s) are weakly sourced (only low-authority evidence).")


@watchlist.command("load")
@click.argument("directory", required=False)
@click.option("--summary", help="What changed, for the version history.")
@with_appcontext
def watchlist_load(directory: str | None, summary: str | None) -> None:
    """Publish the files as a new watchlist version, if anything changed (all or nothing)."""
    store = services().store
    _upgrade_quietly(store)
    try:
        result = load_directory(store, _watchlist_dir(directory), summary=summary)
    except WatchlistInvalid as error:
        _report(error.problems)
        click.echo("Nothing was loaded; the current version is unchanged.", err=True)
        sys.exit(1)
    if result.version is None:
        click.echo(f"No changes; version {result.current} stays current.")
    else:
        click.echo(f"Published version {result.version} ({result.entities} entities).")


@watchlist.command("export")
@click.argument("target")
@click.option("--version", type=ID, help="A past version (default: the current one).")
@click.option("--format", "format_", type=click.Choice(("yaml", *EXPORT_FORMATS)),
              default="yaml", show_default=True,
              help="yaml: the watchlist files into the directory TARGET; json, csv or ftm "
                   "(FollowTheMoney JSON lines): one file TARGET, '-' for standard output.")
@with_appcontext
def watchlist_export(target: str, version: int | None, format_: str) -> None:
    """Write a watchlist version as YAML files into TARGET, or as one JSON, CSV or FtM file."""
    if format_ == "yaml":
        try:
            written = export_directory(services().store, Path(target), version)
        except LookupError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        click.echo(f"Wrote version {written} to {target}.")
        return
    snapshots = services().snapshots
    snapshot = snapshots.at(version) if version is not None else snapshots.current()
    if snapshot is None:
        click.echo(f"error: there is no watchlist version {version or ''}".rstrip() + ".",
                   err=True)
        sys.exit(1)
    text = export(snapshot, services().store, format_)
    if target == "-":
        click.echo(text, nl=False)
    else:
        Path(target).write_text(text, encoding="utf-8")
        click.echo(f"Wrote version {snapshot.version} as {format_} to {target}.", err=True)


@watchlist.command("revert")
@click.argument("version", type=ID)
@with_appcontext
def watchlist_revert(version: int) -> None:
    """Propose undoing VERSION (it is reviewed like any other proposal)."""
    store = services().store
    try:
        revert = curation.revert_changes(store, version)
        found = curation.submit(store, f"Revert version {version}", revert.changes, audit.CLI)
    except curation.CurationError as error:
        _refuse(error)
    click.echo(f"Proposal {found.id} reverts version {version} "
               f"({len(revert.changes)} change(s)); it waits for a reviewer.")


def _refuse(error: curation.CurationError) -> NoReturn:
    click.echo(f"error: {error.message}", err=True)
    for key, messages in error.errors.items():
        for message in messages:
            click.echo(f"  {key}: {message}", err=True)
    sys.exit(1)


# proposals -------------------------------------------------------------------


@click.group("proposals")
def proposals_group() -> None:
    """Curation proposals."""


@proposals_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--summary", help="What the file is and where it comes from.")
@with_appcontext
def proposals_import(file: Path, summary: str | None) -> None:
    """Turn a CSV or FollowTheMoney JSON-lines file into one pending proposal (never a write)."""
    store = services().store
    with store.read() as session:
        current = repository.load_watchlist(session)
    if current is None:
        click.echo("error: no watchlist version yet; run `esgscreen watchlist load` first.",
                   err=True)
        sys.exit(1)
    try:
        changes = changes_from_file(file, current)
        found = curation.submit(store, summary or f"Import of {file.name}", changes, audit.CLI)
    except UnreadableImport as error:
        click.echo(f"error: {file}: {error}", err=True)
        sys.exit(1)
    except curation.CurationError as error:
        _refuse(error)
    click.echo(f"Proposal {found.id} holds {len(changes)} change(s) from {file.name}; "
               "it waits for a reviewer.")


# keys ------------------------------------------------------------------------


@click.group("keys")
def keys_group() -> None:
    """API keys."""


@keys_group.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True, help="Who or what uses the key.")
@with_appcontext
def keys_create(role: str, name: str) -> None:
    """Create a key; it is printed once, on the last line, and stored only hashed."""
    store = services().store
    _upgrade_quietly(store)
    try:
        with store.write() as session:
            info, secret = keys.create_key(session, name, role, audit.CLI)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    click.echo(f"Created key {info.id} ({info.prefix}…) for {info.name!r} with role {role}.")
    click.echo("Store it now; it cannot be shown again:")
    click.echo(secret)


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """List keys (never their secrets)."""
    with services().store.read() as session:
        rows = keys.list_keys(session)
    for info in rows:
        state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
        click.echo(f"{info.id}\t{info.prefix}…\t{info.role}\t{state}\t{info.name}")


@keys_group.command("revoke")
@click.argument("key_id", type=ID)
@with_appcontext
def keys_revoke(key_id: int) -> None:
    """Revoke a key by its number (from `keys list`)."""
    try:
        with services().store.write() as session:
            info = keys.revoke_key(session, key_id, audit.CLI)
    except LookupError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"Key {info.id} ({info.name}) is revoked.")


# users -----------------------------------------------------------------------


@click.group("users")
def users_group() -> None:
    """People who sign in to the web pages."""


@users_group.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--username", required=True)
@click.password_option(help="Asked for when not given (at least 10 characters).")
@with_appcontext
def users_create(role: str, username: str, password: str) -> None:
    """Create a user who signs in with a password (stored hashed)."""
    store = services().store
    _upgrade_quietly(store)
    try:
        with store.write() as session:
            info = users.create_user(session, username, password, role, audit.CLI)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    click.echo(f"Created user {info.username} with role {info.role}.")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List users and their roles."""
    with services().store.read() as session:
        rows = users.list_users(session)
    for info in rows:
        state = "disabled" if info.disabled_at else "active"
        click.echo(f"{info.id}\t{info.username}\t{info.role}\t{state}")


@users_group.command("password")
@click.argument("username")
@click.password_option(help="Asked for when not given (at least 10 characters).")
@with_appcontext
def users_password(username: str, password: str) -> None:
    """Give a user a new password; every session the user has ends."""
    try:
        with services().store.write() as session:
            users.set_password(session, username, password, audit.CLI)
    except LookupError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    click.echo(f"User {username} has a new password; their sessions have ended.")


@users_group.command("disable")
@click.argument("username")
@with_appcontext
def users_disable(username: str) -> None:
    """Stop a user from signing in (the record and its audit trail stay)."""
    try:
        with services().store.write() as session:
            users.disable_user(session, username, audit.CLI)
    except LookupError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"User {username} is disabled.")


# screenings ------------------------------------------------------------------


@click.group("screenings")
def screenings_group() -> None:
    """The screening log."""


@screenings_group.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep this many days (default: ESGSCREEN_SCREENING_LOG_DAYS, 400).")
@with_appcontext
def screenings_purge(days: int | None) -> None:
    """Drop screening records older than the retention period (audited)."""
    keep = days or services().settings.screening_log_days
    dropped = screenlog.purge(services().store, keep, audit.CLI)
    click.echo(f"Dropped {dropped} screening records older than {keep} days.")


# screen ----------------------------------------------------------------------

LOCAL_CHUNK = 1_000  # holdings screened between two updates of the progress bar


class ScreenFailed(click.ClickException):
    """Screening could not run: exit 2, so 1 keeps meaning "a holding is excluded"."""

    exit_code = 2


def _read_holdings(file: Path) -> Holdings:
    try:
        return parse_holdings(decode(file.read_bytes(), file.name), max_rows=MAX_FILE_HOLDINGS)
    except HoldingsError as error:
        raise ScreenFailed(f"{file}: {error}") from None


def _screen_locally(ctx: click.Context, items: list[dict[str, Any]], policy: str | None,
                    as_of: str | None, advance: Callable[[int], None]) -> dict[str, Any]:
    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        try:
            snapshot = services().snapshots.require(as_of)
            chosen = services().policy(policy)
        except (AsOfError, NoWatchlistYet, UnknownPolicy) as error:
            raise ScreenFailed(str(error)) from None
        parts = []
        for start in range(0, len(items), LOCAL_CHUNK):
            chunk = items[start:start + LOCAL_CHUNK]
            parts.append(screen_batch(snapshot, chunk, chosen))
            advance(len(chunk))
    return {"watchlist_version": snapshot.version, "policy": chosen.id,
            "summary": joined_summaries([p["summary"] for p in parts]),
            "results": [row for part in parts for row in part["results"]]}


def _screen_remotely(url: str, key: str | None, items: list[dict[str, Any]],
                     policy: str | None, as_of: str | None,
                     advance: Callable[[int], None]) -> dict[str, Any]:
    from dataclasses import asdict

    try:
        from esgscreen_client import Client, ESGScreenError
    except ModuleNotFoundError:
        raise ScreenFailed("--url needs the client: pip install ./clients/python "
                                   "(the esgscreen-client distribution).") from None

    done = [0]

    def progress(count: int, total: int) -> None:
        advance(count - done[0])
        done[0] = count

    try:
        answer = Client(url, api_key=key).screen_portfolio(items, policy=policy, as_of=as_of,
                                                           progress=progress)
    except ESGScreenError as error:
        raise ScreenFailed(f"{url}: {error}") from None
    results = []
    for row in answer.results:
        view = {k: v for k, v in asdict(row).items() if v is not None}
        view["reasons"] = list(row.reasons)
        results.append(view)
    return {"watchlist_version": answer.watchlist_version, "policy": answer.policy,
            "summary": answer.summary, "results": results}


def _print_summary(console: Any, holdings: Holdings, result: dict[str, Any]) -> None:
    summary = result["summary"]
    console.print(f"Screened {summary['items']} holdings against watchlist version "
                  f"{result['watchlist_version']} under the {result['policy']} policy.")
    # "Not on the watchlist" is never counted as cleared.
    not_listed = sum(1 for row in result["results"]
                     if row.get("status") == "no_match" and row.get("action") == "clear")
    by_action = {**summary["by_action"]}
    by_action["clear"] = by_action.get("clear", 0) - not_listed
    console.print("Actions: " + ", ".join(f"{by_action.get(a, 0)} {a}" for a in ACTIONS)
                  + f", {not_listed} not on the watchlist (no action)")
    by_status = summary["by_status"]
    console.print("Verdicts: " + ", ".join(
        f"{by_status.get(s, 0)} {s.replace('_', ' ')}"
        for s in ("match", "possible_match", "no_match", "error")))
    excluded = [(item, row) for item, row in zip(holdings.items, result["results"], strict=True)
                if row.get("action") == "exclude"]
    for item, row in excluded[:20]:
        match = row.get("match") or {}
        name = (match.get("entity") or {}).get("name", "")
        console.print(f"  exclude  line {item['ref']}: {subject(item)} -> {name} "
                      f"({row.get('rating') or 'unrated'})", markup=False, highlight=False)
    if len(excluded) > 20:
        console.print(f"  … and {len(excluded) - 20} more excluded holdings.")


@click.command("screen")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the results here: .csv (one row per holding) or .json.")
@click.option("--policy", help="A policy id (default: the default policy).")
@click.option("--as-of", help="A watchlist version number or an ISO 8601 date.")
@click.option("--url", help="Screen against this esgscreen server instead of the local "
                            "database (e.g. http://127.0.0.1:8000).")
@click.option("--key", envvar="ESGSCREEN_API_KEY", help="API key for --url "
              "(or ESGSCREEN_API_KEY).")
@click.pass_context
def screen(ctx: click.Context, file: Path, output: Path | None, policy: str | None,
           as_of: str | None, url: str | None, key: str | None) -> None:
    """Screen a holdings file (CSV or .xlsx; columns name, isin, ticker, exchange, lei, cik,
    cusip, weight). Exits 1 when any holding's action is exclude, 0 when none is, and 2 when
    the file or the server cannot be used."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    if output is not None and output.suffix.lower() not in {".csv", ".json"}:
        raise click.BadParameter("the output must end in .csv or .json", param_hint="--output")
    holdings = _read_holdings(file)
    console = Console(stderr=True)
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("Screening", total=len(holdings.items))

        def advance(count: int) -> None:
            bar.advance(task, count)

        if url:
            result = _screen_remotely(url, key, holdings.items, policy, as_of, advance)
        else:
            result = _screen_locally(ctx, holdings.items, policy, as_of, advance)
    if output is not None:
        if output.suffix.lower() == ".json":
            output.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")
        else:
            screened_at = datetime.now(UTC).replace(microsecond=0)
            output.write_text(results_csv(holdings.items, result, VERDICTS, screened_at),
                              encoding="utf-8", newline="")
        console.print(f"Wrote the results to {output}.")
    _print_summary(Console(soft_wrap=True), holdings, result)
    if result["summary"]["by_action"].get("exclude", 0):
        ctx.exit(1)


# schemas ---------------------------------------------------------------------


@click.group("schemas")
def schemas_group() -> None:
    """The published OpenAPI and JSON Schema documents."""


@schemas_group.command("write")
@click.argument("directory", default="schemas")
@with_appcontext
def schemas_write(directory: str) -> None:
    """Write openapi.json and the watchlist JSON Schemas into DIRECTORY (default: schemas/)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    (target / OPENAPI_FILE).write_text(openapi_text(current_app), encoding="utf-8")
    written = [target / OPENAPI_FILE, *write_json_schemas(target)]
    for path in written:
        click.echo(f"wrote {path}")


# wiring ----------------------------------------------------------------------


def _create_app() -> Flask:
    from esgscreen.app import create_app

    return create_app()


@click.group(name="esgscreen")
def commands() -> None:
    """esgscreen: screen companies against the surveillance-vendor watchlist."""


for _command in (serve, worker, db, watchlist, proposals_group, keys_group, users_group,
                 screenings_group, screen, schemas_group):
    commands.add_command(_command)


def main() -> None:
    """The console script: the app is built only when a command needs it (not for --help)."""
    commands.main(obj=ScriptInfo(create_app=_create_app, set_debug_flag=False),
                  prog_name="esgscreen")
