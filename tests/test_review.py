"""Moderator acts and appeals: guarded transitions, reversed effects, one appeal per action, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from e2e.casework import ADDRESS, casework_engine, seed
from sqlalchemy import select

from leakwarden.audit import log as audit_log
from leakwarden.enforcement import appeals, review
from leakwarden.enforcement.standing import aware, standing_of
from leakwarden.engine import Engine
from leakwarden.errors import Conflict, Forbidden, InvalidInput, NotFound
from leakwarden.model import Action, ActionType, StandingState
from leakwarden.service.auth import Principal
from leakwarden.store.tables import CaseRow, EnforcementAction, PostRow, Sanction, Strike

MOD = Principal("mod:alice", "moderator")
VIEWER = Principal("viewer:bob", "submitter")


@pytest.fixture
def engine(any_db_url: str) -> Engine:
    e = casework_engine(any_db_url)
    seed(e)
    return e


def case_for(engine: Engine, post_id: str, source: str = "policy") -> int:
    with engine.db.session() as s:
        return s.scalars(select(CaseRow.id).where(CaseRow.post_id == post_id, CaseRow.source == source)).one()


def kinds(engine: Engine) -> list[str]:
    with engine.db.session() as s:
        return [e.kind for e in audit_log.events(s)]


def test_overturn_reverses_every_effect(engine: Engine) -> None:
    case = case_for(engine, "p-doxx")
    with engine.db.session() as s:
        assert standing_of(s, "troll").state is StandingState.SUSPENDED
        undone = review.overturn(s, case, MOD, "satire, not a dossier")
    with engine.db.session() as s:
        assert s.get_one(PostRow, "p-doxx").status == "visible"
        assert all(a.reversed_at is not None and a.reversed_by == MOD.name
                   for a in s.scalars(select(EnforcementAction).where(EnforcementAction.post_id == "p-doxx")))
        assert all(x.removed_at is not None for x in s.scalars(select(Strike).where(Strike.post_id == "p-doxx")))
        assert all(x.lifted_at is not None for x in s.scalars(select(Sanction).where(Sanction.post_id == "p-doxx")))
        assert standing_of(s, "troll").state is StandingState.GOOD
        assert s.get_one(CaseRow, case).state == "closed" and s.get_one(CaseRow, case).resolution == "overturned"
        assert undone.restored and undone.strikes and undone.sanctions
        overturned = list(audit_log.events(s, kind="review.overturned"))
    assert overturned[0].actor == MOD.name and audit_log.payload_of(overturned[0])["note"] == "satire, not a dossier"
    # the same evidence does not sanction again when the post is decided anew
    engine.redecide("p-doxx")
    with engine.db.session() as s:
        assert standing_of(s, "troll").state is StandingState.GOOD


@pytest.mark.parametrize("act", ["confirm", "overturn", "escalate"])
def test_a_closed_case_cannot_be_acted_on(engine: Engine, act: str) -> None:
    case = case_for(engine, "p-doxx")
    with engine.db.session() as s:
        review.confirm(s, case, MOD)
    with engine.db.session() as s, pytest.raises(Conflict):
        getattr(review, act)(s, case, MOD)


@pytest.mark.parametrize("act", ["confirm", "overturn", "escalate"])
def test_a_viewer_may_not_act(engine: Engine, act: str) -> None:
    case = case_for(engine, "p-doxx")
    with engine.db.session() as s, pytest.raises(Forbidden):
        getattr(review, act)(s, case, VIEWER)
    with engine.db.session() as s:
        assert s.get_one(CaseRow, case).state == "open"


def test_escalate_then_confirm_is_audited(engine: Engine) -> None:
    case = case_for(engine, "p-dossier")
    with engine.db.session() as s:
        review.escalate(s, case, MOD, "needs legal")
    with engine.db.session() as s:
        review.confirm(s, case, MOD)
        assert s.get_one(PostRow, "p-dossier").status == "removed"
    assert kinds(engine)[-3:] == ["case.escalated", "review.confirmed", "case.closed"]


@pytest.mark.parametrize("action,status,standing", [
    (Action(type=ActionType.LABEL, label="Contains leaked material"), "labelled", StandingState.GOOD),
    (Action(type=ActionType.BAN), "visible", StandingState.BANNED),
    (Action(type=ActionType.SUSPEND, duration_s=3600), "visible", StandingState.SUSPENDED),
])
def test_change_the_action(engine: Engine, action: Action, status: str, standing: StandingState) -> None:
    case = case_for(engine, "p-dossier")
    with engine.db.session() as s:
        applied = review.change_action(s, case, MOD, action, policy=engine.policy, rules=engine.rules, note="n")
        assert [a.type for a in applied] == [action.type]
    with engine.db.session() as s:
        assert s.get_one(PostRow, "p-dossier").status == status
        assert standing_of(s, "journo").state is standing
        manual = s.scalars(select(EnforcementAction).where(EnforcementAction.reversed_at.is_(None),
                                                           EnforcementAction.post_id == "p-dossier")).all()
        assert [(m.type, m.automatic, m.actor) for m in manual] == [(action.type.value, False, MOD.name)]


@pytest.mark.parametrize("action", [Action(type=ActionType.QUEUE_REVIEW), Action(type=ActionType.SUSPEND),
                                    Action(type=ActionType.LABEL)])
def test_change_to_an_invalid_action_is_refused(engine: Engine, action: Action) -> None:
    with engine.db.session() as s, pytest.raises(InvalidInput):
        review.change_action(s, case_for(engine, "p-dossier"), MOD, action, policy=engine.policy,
                             rules=engine.rules)


def test_report_opens_a_case_and_unknown_post_is_not_found(engine: Engine) -> None:
    with engine.db.session() as s:
        case = review.file_report(s, "p-ok", "it is spam", "reporter:7")
        assert (case.source, case.state, case.account) == ("report", "open", "reader")
        again = review.file_report(s, "p-ok", "spam again", "reporter:8")
        assert again.id == case.id
    with engine.db.session() as s, pytest.raises(NotFound):
        review.file_report(s, "nope", "x", "r")
    with engine.db.session() as s, pytest.raises(InvalidInput):
        review.file_report(s, "p-ok", "  ", "r")
    assert kinds(engine).count("report.filed") == 2


def test_reveal_returns_the_value_and_audits_without_it(engine: Engine) -> None:
    case = case_for(engine, "p-doxx")
    with engine.db.session() as s:
        row = s.get_one(PostRow, "p-doxx")
        reasons = row.decision["reasons"]
        r = next(i for i, x in enumerate(reasons) if x["signal"] == "pii")
        e = next(i for i, x in enumerate(reasons[r]["evidence"]) if x["data"]["label"] == "STREET_ADDRESS")
        assert review.reveal(s, case, r, e, MOD) == ADDRESS
    with engine.db.session() as s:
        events = list(audit_log.events(s, kind="pii.revealed"))
        assert len(events) == 1 and events[0].actor == MOD.name
        assert ADDRESS not in events[0].payload and "Cedar" not in events[0].payload
        with pytest.raises(Forbidden):
            review.reveal(s, case, r, e, VIEWER)
        with pytest.raises(NotFound):
            review.reveal(s, case, 99, 0, MOD)


def action_id(engine: Engine, post_id: str, type_: str) -> int:
    with engine.db.session() as s:
        return s.scalars(select(EnforcementAction.id).where(EnforcementAction.post_id == post_id,
                                                            EnforcementAction.type == type_)).one()


@pytest.mark.parametrize("granted,status,standing", [
    (True, "visible", StandingState.GOOD), (False, "removed", StandingState.SUSPENDED)])
def test_appeal_resolution(engine: Engine, granted: bool, status: str, standing: StandingState) -> None:
    suspension = action_id(engine, "p-dossier", "suspend")
    with engine.db.session() as s:
        appeal = appeals.file_appeal(s, suspension, "journo", "I am a journalist", filed_by="journo")
        case = s.get_one(CaseRow, appeal.case_id)
        assert (case.source, case.state) == ("appeal", "escalated")
        case_id = case.id
    with engine.db.session() as s:
        appeals.resolve_appeal(s, case_id, MOD, granted=granted, note="reviewed")
    with engine.db.session() as s:
        assert s.get_one(PostRow, "p-dossier").status == status
        assert standing_of(s, "journo").state is standing
        assert s.get_one(CaseRow, case_id).resolution == f"appeal_{'granted' if granted else 'denied'}"
    assert f"appeal.{'granted' if granted else 'denied'}" in kinds(engine)
    with engine.db.session() as s, pytest.raises(Conflict):
        appeals.resolve_appeal(s, case_id, MOD, granted=True)


@pytest.mark.parametrize("account,days,code,error", [
    ("someone-else", 0, "not_your_action", Forbidden),
    ("journo", 21, "appeal_window_closed", Conflict),
])
def test_appeal_refusals(engine: Engine, account: str, days: int, code: str, error: type[Exception]) -> None:
    suspension = action_id(engine, "p-dossier", "suspend")
    with engine.db.session() as s:
        created = aware(s.get_one(EnforcementAction, suspension).created_at)
    assert created is not None
    with engine.db.session() as s, pytest.raises(error) as caught:
        appeals.file_appeal(s, suspension, account, "", filed_by="x",
                            now=created + timedelta(days=days))
    assert getattr(caught.value, "code", None) == code


def test_an_action_is_appealed_once_and_the_window_is_configurable(engine: Engine) -> None:
    strike = action_id(engine, "p-doxx", "strike")
    with engine.db.session() as s:
        appeals.file_appeal(s, strike, "troll", "", filed_by="troll", window=timedelta(days=1))
    with engine.db.session() as s, pytest.raises(Conflict) as caught:
        appeals.file_appeal(s, strike, "troll", "", filed_by="troll")
    assert caught.value.args[0].endswith("appealed once")
    with engine.db.session() as s, pytest.raises(NotFound):
        appeals.file_appeal(s, 999, "troll", "", filed_by="troll")
    with engine.db.session() as s, pytest.raises(Conflict):
        appeals.file_appeal(s, action_id(engine, "p-doxx", "remove"), "troll", "", filed_by="troll",
                            window=timedelta(seconds=0))


def test_rule_from_a_hop_blocks_the_domain(engine: Engine) -> None:
    case = case_for(engine, "p-dossier")
    with engine.db.session() as s:
        rule = review.add_rule_from_case(s, case, MOD, engine.rules, "domain", "files.example", "leak host")
    engine.rules.refresh(force=True)
    assert rule["pattern"] == "files.example" and rule["added_by"] == MOD.name
    assert "review.rule_added" in kinds(engine)


@pytest.mark.parametrize("note", ["", "   "])
def test_an_overturn_needs_a_reason(engine: Engine, note: str) -> None:
    case = case_for(engine, "p-doxx")
    with engine.db.session() as s, pytest.raises(InvalidInput, match="reason"):
        review.overturn(s, case, MOD, note)
    with engine.db.session() as s:
        assert s.get_one(CaseRow, case).state == "open" and s.get_one(PostRow, "p-doxx").status != "visible"


def test_reinstatement_clears_strikes_and_sanctions_but_not_posts(engine: Engine) -> None:
    """What reinstatement does (enforcement.actions.reinstate): the account is good with 0 active
    strikes; its strike/suspend/ban/limit actions read reversed; removed posts stay removed; the
    same evidence does not sanction it again."""
    with engine.db.session() as s:
        before = standing_of(s, "troll")
        assert before.state is StandingState.SUSPENDED and before.active_strikes >= 1
        status_before = s.get_one(PostRow, "p-doxx").status
        lifted = review.reinstate(s, "troll", MOD, "mistaken identity")
    with engine.db.session() as s:
        after = standing_of(s, "troll")
        assert lifted >= 1 and after.state is StandingState.GOOD and after.active_strikes == 0 and after.reinstated
        assert all(x.removed_at is not None for x in s.scalars(select(Strike).where(Strike.account == "troll")))
        rows = list(s.scalars(select(EnforcementAction).where(EnforcementAction.account == "troll")))
        assert all((a.reversed_at is not None) == (a.type in ("strike", "suspend", "ban", "limit")) for a in rows)
        assert s.get_one(PostRow, "p-doxx").status == status_before != "visible"  # posts stay as they are
        event = list(audit_log.events(s, kind="account.reinstated"))[-1]
        data = audit_log.payload_of(event)
        assert data["strikes_removed"] and data["actions_reversed"] and data["note"] == "mistaken identity"
    engine.redecide("p-doxx")
    with engine.db.session() as s:
        assert standing_of(s, "troll").state is StandingState.GOOD and standing_of(s, "troll").active_strikes == 0


def test_only_a_moderator_reinstates(engine: Engine) -> None:
    with engine.db.session() as s, pytest.raises(Forbidden):
        review.reinstate(s, "troll", VIEWER)
    with engine.db.session() as s, pytest.raises(NotFound):
        review.reinstate(s, "nobody-here", MOD)


def test_an_overturn_of_a_guarded_clause_needs_a_second_moderator(engine: Engine) -> None:
    """A policy's ``second_review`` clauses: one moderator's overturn is a request; another's acts."""
    policy = engine.policy.model_copy(update={"second_review": ["hacked-material"]})
    case = case_for(engine, "p-dossier")  # the journalist's post: hacked material behind its link
    second = Principal("mod:carol", "moderator")
    with engine.db.session() as s:
        first = review.overturn(s, case, MOD, "newsworthy", policy=policy)
        again = review.overturn(s, case, MOD, "really, newsworthy", policy=policy)  # the same moderator twice
    assert first.pending and again.pending and not first.actions
    with engine.db.session() as s:
        assert s.get_one(PostRow, "p-dossier").status != "visible"
        assert standing_of(s, "journo").state is not StandingState.GOOD
        assert s.get_one(CaseRow, case).state != "closed"
        done = review.overturn(s, case, second, "agreed: newsworthy", policy=policy)
    assert not done.pending and done.restored
    with engine.db.session() as s:
        [event] = list(audit_log.events(s, kind="review.overturned"))
        assert event.actor == second.name and audit_log.payload_of(event)["requested_by"] == MOD.name
        assert s.get_one(CaseRow, case).resolution == "overturned"
        assert standing_of(s, "journo").state is StandingState.GOOD
    # a post none of whose clauses is guarded is overturned by one moderator, as before
    with engine.db.session() as s:
        assert not review.overturn(s, case_for(engine, "p-doxx"), MOD, "satire", policy=policy).pending


def test_second_review_names_only_clauses_the_policy_has(engine: Engine) -> None:
    from pydantic import ValidationError

    from leakwarden.policy.schema import Policy

    with pytest.raises(ValidationError, match="does not have: no-such-clause"):
        Policy.model_validate({**engine.policy.model_dump(), "second_review": ["dossier", "no-such-clause"]})
