"""Managing: URL rules, API keys, accounts, outside requests, the audit log, reports, policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from leakwarden.audit import log as audit_log
from leakwarden.audit import report as reports
from leakwarden.audit import requests as outside
from leakwarden.audit import signing
from leakwarden.cli.common import CreateOption, DbOption, PolicyOption, echo_json, open_db
from leakwarden.enforcement.actions import reinstate
from leakwarden.enforcement.standing import standing_of
from leakwarden.engine import Engine
from leakwarden.errors import InvalidInput, NotFound
from leakwarden.model import MAX_ID
from leakwarden.policy.load import load_policy, preset_names
from leakwarden.service import auth
from leakwarden.store.tables import Account

rules_app = typer.Typer(help="URL rules: block, warn on or allow URLs, prefixes and domains.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
requests_app = typer.Typer(help="Outside requests: who asked for what.", no_args_is_help=True)
accounts_app = typer.Typer(help="Account standing.", no_args_is_help=True)
policy_app = typer.Typer(help="Policies.", no_args_is_help=True)
report_app = typer.Typer(help="Reports. Without a subcommand: the transparency report.", invoke_without_command=True)
ActorOption = Annotated[str, typer.Option("--by", help="Who is acting (recorded in the audit log)")]


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
    app.add_typer(requests_app, name="requests")
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(policy_app, name="policy")
    app.add_typer(report_app, name="report")


# -- rules -------------------------------------------------------------------------------------
@rules_app.command("add")
def rules_add(
    url: Annotated[str | None, typer.Option("--url", help="Exactly this URL")] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Every URL under this prefix")] = None,
    domain: Annotated[str | None, typer.Option("--domain", help="This domain and all its subdomains")] = None,
    action: Annotated[str, typer.Option("--action", help="block, warn or allow")] = "block",
    reason: Annotated[str, typer.Option("--reason", help="Why (shown to reviewers and in reports)")] = "",
    source: Annotated[bool, typer.Option("--source", help="Mark as a source of hacked material")] = False,
    by: ActorOption = "cli", db: DbOption = None, create: CreateOption = False,
) -> None:
    """Add a URL rule."""
    given = [(k, v) for k, v in (("exact", url), ("prefix", prefix), ("domain", domain)) if v]
    if len(given) != 1:
        raise InvalidInput("give exactly one of --url, --prefix or --domain", code="invalid_rule")
    kind, value = given[0]
    from leakwarden.signals.urlrules import RuleBook

    rule = RuleBook(open_db(db, create)).add(kind, value, action, reason, by, source=source)
    typer.echo(f"rule {rule['id']}: {rule['action']} {rule['kind']} {rule['pattern']}")


@rules_app.command("list")
def rules_list(db: DbOption = None, create: CreateOption = False,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the active URL rules."""
    from leakwarden.signals.urlrules import RuleBook

    rules = RuleBook(open_db(db, create)).list()
    if as_json:
        echo_json(rules)
        return
    table = Table("id", "kind", "pattern", "action", "reason", "added by")
    for r in rules:
        table.add_row(str(r["id"]), str(r["kind"]), str(r["pattern"]), str(r["action"]), str(r["reason"]),
                      str(r["added_by"]))
    Console().print(table)


@rules_app.command("remove")
def rules_remove(rule_id: Annotated[int, typer.Argument(help="The rule id", min=1, max=MAX_ID)],
                 by: ActorOption = "cli",
                 db: DbOption = None, create: CreateOption = False) -> None:
    """Remove a URL rule."""
    from leakwarden.signals.urlrules import RuleBook

    rule = RuleBook(open_db(db, create)).remove(rule_id, by)
    typer.echo(f"removed rule {rule['id']} ({rule['kind']} {rule['pattern']})")


@rules_app.command("apply")
def rules_apply(retro: Annotated[bool, typer.Option("--retro", help="Enforce on posts already stored")] = False,
                since_version: Annotated[int, typer.Option(help="Only rules changed after this version", min=0,
                                                           max=MAX_ID)] = 0,
                db: DbOption = None, create: CreateOption = False, policy: PolicyOption = None) -> None:
    """Enforce the URL rules on stored posts that link to blocked URLs, with a progress bar."""
    if not retro:
        raise InvalidInput("rules apply needs --retro (rules already apply to every new post)", code="usage")
    engine = Engine(open_db(db, create), policy=policy)
    changed = 0
    with Progress(TextColumn("[bold]re-deciding"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True)) as progress:
        task = progress.add_task("retro", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        decisions = list(engine.retro_rules(since_version, progress=advance))
    for decision in decisions:
        changed += decision.verdict.value != "allow"
    typer.echo(f"{len(decisions)} stored posts link to blocked URLs; {changed} now restricted or removed")


# -- keys --------------------------------------------------------------------------------------
@keys_app.command("create")
def keys_create(role: Annotated[str, typer.Option("--role", help="submitter, moderator or admin")],
                name: Annotated[str, typer.Option("--name", help="A name for the key")] = "",
                db: DbOption = None, create: CreateOption = False) -> None:
    """Create an API key and print it once."""
    key_id, key = auth.create_key(open_db(db, create), role, name)
    typer.echo(key)
    typer.echo(f"key {key_id} ({role}); it is shown only now", err=True)


@keys_app.command("list")
def keys_list(db: DbOption = None, create: CreateOption = False) -> None:
    """List API keys (never the keys themselves)."""
    echo_json(auth.list_keys(open_db(db, create)))


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(min=1, max=MAX_ID)], db: DbOption = None,
                create: CreateOption = False) -> None:
    """Revoke an API key."""
    auth.revoke_key(open_db(db, create), key_id)
    typer.echo(f"revoked key {key_id}")


# -- audit -------------------------------------------------------------------------------------
KeyOption = Annotated[Path | None, typer.Option(
    "--key", envvar="LEAKWARDEN_AUDIT_KEY_FILE",
    help="The audit signing key file (default ~/.config/leakwarden/audit-ed25519.key; made if missing)")]


@audit_app.command("verify")
def audit_verify(checkpoint: Annotated[Path | None, typer.Option(
                     "--checkpoint", help="Also check the log against this signed checkpoint")] = None,
                 key: KeyOption = None, db: DbOption = None, create: CreateOption = False) -> None:
    """Seal, then check the hash chain, its signed head, and the strikes, sanctions and actions it
    covers; report the first thing broken."""
    kept = signing.Checkpoint.load(checkpoint) if checkpoint else None
    result = audit_log.seal_and_verify(open_db(db, create).engine, checkpoint=kept,
                                       key=signing.signing_key(key))
    against = f", consistent with the checkpoint of {kept.size} events ({kept.at})" if kept else ""
    if result.ok:
        typer.echo(f"ok: {result.checked} events, chain intact, head signed{against}")
        return
    where = f"BROKEN at event {result.first_broken}" if result.first_broken else "BROKEN"
    typer.echo(f"{where}: {result.problem} ({result.checked} events verified before it)")
    raise typer.Exit(1)


@audit_app.command("seal")
def audit_seal(key: KeyOption = None, db: DbOption = None, create: CreateOption = False) -> None:
    """Chain the events committed but not sealed yet (writers seal their own; this catches up)."""
    sealed = audit_log.seal(open_db(db, create).engine, key=signing.signing_key(key))
    typer.echo(f"sealed {sealed} events")


@audit_app.command("checkpoint")
def audit_checkpoint(out: Annotated[Path | None, typer.Option("--out", help="Write it to this file "
                                                                           "(default: standard output)")] = None,
                     key: KeyOption = None, db: DbOption = None, create: CreateOption = False) -> None:
    """Seal, and write a signed checkpoint of the chain (size, head hash, time, key id) to keep
    elsewhere; `audit verify --checkpoint FILE` later proves the log up to it is unchanged."""
    kept = audit_log.checkpoint(open_db(db, create).engine, key=signing.signing_key(key))
    text = json.dumps(kept.to_dict(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}", code="unwritable_file") from None
    typer.echo(f"checkpoint of {kept.size} events written to {out}", err=True)


@audit_app.command("list")
def audit_list(kind: Annotated[str | None, typer.Option(help="Only events of this kind")] = None,
               limit: Annotated[int, typer.Option(help="At most this many", min=1)] = 50, db: DbOption = None,
               create: CreateOption = False) -> None:
    """Print audit events as JSON."""
    with open_db(db, create).session() as s:
        echo_json([{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "kind": e.kind,
                    "subject": f"{e.subject_type}:{e.subject_id}", "payload": audit_log.payload_of(e)}
                   for e in audit_log.events(s, kind=kind, limit=limit)])


# -- outside requests --------------------------------------------------------------------------
@requests_app.command("add")
def requests_add(
    kind: Annotated[str, typer.Option("--kind", help=", ".join(outside.KINDS))],
    requester: Annotated[str, typer.Option("--from", help="Who asked")],
    asked: Annotated[str, typer.Option("--asked", help="What they asked for")],
    outcome: Annotated[str, typer.Option("--outcome", help=", ".join(outside.OUTCOMES))] = "pending",
    done: Annotated[str, typer.Option("--done", help="What was done")] = "",
    post: Annotated[list[str] | None, typer.Option("--post", help="A post concerned (repeatable)")] = None,
    url: Annotated[list[str] | None, typer.Option("--url", help="A URL concerned (repeatable)")] = None,
    account: Annotated[list[str] | None, typer.Option("--account", help="An account concerned")] = None,
    action: Annotated[list[int] | None, typer.Option("--action", help="A resulting action id", min=1,
                                                     max=MAX_ID)] = None,
    received_at: Annotated[str | None, typer.Option(
        "--received-at", help="When it was received (ISO date or date-time, UTC); default: now")] = None,
    by: ActorOption = "cli", db: DbOption = None, create: CreateOption = False,
) -> None:
    """Record an outside request (campaign, government, court, ...)."""
    request = outside.OutsideRequest(kind=kind, requester=requester, asked=asked, outcome=outcome, done=done,
                                     concerns=outside.Concerns(posts=post or [], urls=url or [],
                                                               accounts=account or []),
                                     action_ids=action or [],
                                     received_at=reports.parse_day(received_at) if received_at else None)
    row = outside.record(open_db(db, create), request, by)
    typer.echo(f"request {row['id']} recorded ({row['kind']} from {row['requester']}: {row['outcome']})")


@requests_app.command("list")
def requests_list(kind: Annotated[str | None, typer.Option(help="Only this kind")] = None,
                  db: DbOption = None, create: CreateOption = False) -> None:
    """List outside requests as JSON."""
    echo_json(outside.list_requests(open_db(db, create), kind=kind))


# -- accounts ----------------------------------------------------------------------------------
@accounts_app.command("show")
def accounts_show(account: str, db: DbOption = None, create: CreateOption = False) -> None:
    """Print an account's standing."""
    with open_db(db, create).session() as s:
        if s.get(Account, account) is None:
            raise NotFound(f"no account {account!r}")
        echo_json(standing_of(s, account).model_dump(mode="json"))


@accounts_app.command("reinstate")
def accounts_reinstate(account: str, note: Annotated[str, typer.Option(help="Why")] = "",
                       by: ActorOption = "cli", db: DbOption = None, create: CreateOption = False) -> None:
    """Lift an account's suspensions and bans (a moderator's decision outranks automatic ones)."""
    with open_db(db, create).session() as s:
        lifted = reinstate(s, account, by, note)
    typer.echo(f"{account}: {lifted} sanction(s) lifted")


# -- policy ------------------------------------------------------------------------------------
@policy_app.command("show")
def policy_show(policy: PolicyOption = None) -> None:
    """Print a policy as JSON (after validation)."""
    echo_json(load_policy(policy).model_dump(mode="json"))


@policy_app.command("validate")
def policy_validate(source: Annotated[str, typer.Argument(help="A preset name or a TOML/YAML file")]) -> None:
    """Validate a policy file; errors name the file, line and field."""
    p = load_policy(source)
    typer.echo(f"ok: {p.label}, {len(p.clauses)} clauses")


@policy_app.command("list")
def policy_list() -> None:
    """List the bundled presets."""
    for name in preset_names():
        p = load_policy(name)
        typer.echo(f"{name}\t{p.version}\t{p.description}")


# -- report ------------------------------------------------------------------------------------
@report_app.callback()
def report(ctx: typer.Context,
           start: Annotated[str | None, typer.Option("--from", help="First day (ISO date)")] = None,
           end: Annotated[str | None, typer.Option("--to", help="Last day (ISO date), inclusive")] = None,
           out: Annotated[Path, typer.Option("--out", help="Folder for report.html and CSVs")] = Path("report"),
           db: DbOption = None, create: CreateOption = False) -> None:
    """Write a transparency report (HTML with charts, plus CSV); or run a subcommand."""
    if ctx.invoked_subcommand is not None:
        return
    files = reports.write(reports.build(open_db(db, create), *reports.period(start, end)), out)
    for path in files:
        typer.echo(str(path))
