"""Console pages for trying a policy before it goes live (admin): run a backtest and read it; deploy,
clear and promote a shadow policy and see where it differs from the live one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from leakwarden.audit.report import bar_chart
from leakwarden.errors import InvalidInput, PolicyError
from leakwarden.policy import backtest as backtests
from leakwarden.policy import backtest_report
from leakwarden.policy import shadow as shadows
from leakwarden.service.console import users, web
from leakwarden.service.routes.policies import MAX_POLICY_CHARS, BacktestIn, PolicyText, run_backtest


def add(app: FastAPI) -> None:
    """Add the policy pages to the console app (``web.build`` calls this)."""

    @app.get("/policy/backtest", response_class=HTMLResponse)
    def backtest_page(request: Request, info: web.Admin) -> Response:
        return web.render(request, "backtest.html", info, form={"since": "30d", "until": "", "format": "toml",
                                                                "policy": ""})

    @app.post("/policy/backtest", response_class=HTMLResponse)
    async def run(request: Request, info: web.Admin) -> Response:
        form = await web.checked_form(request, info)
        given = {"policy": web.field(form, "policy", limit=MAX_POLICY_CHARS),
                 "format": web.field(form, "format", default="toml", limit=10),
                 "since": web.field(form, "since", default="30d", limit=40),
                 "until": web.field(form, "until", limit=40)}
        try:
            body = BacktestIn.model_validate({**given, "since": given["since"] or "30d",
                                              "until": given["until"] or None})
            result = run_backtest(web.engine_of(request), body, info.principal.name)
        except ValidationError as exc:
            first = exc.errors()[0]
            message = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            return web.render(request, "backtest.html", info, 422, form=given, error=message)
        except (PolicyError, InvalidInput) as exc:  # the policy's errors name its line, as `policy validate` does
            return web.render(request, "backtest.html", info, 422, form=given, error=exc.message)
        return web.render(request, "backtest.html", info, form=given, result=result,
                          charts=backtest_report.charts(result), simplification=backtests.SIMPLIFICATION)

    def shadow_page(request: Request, info: users.SessionInfo, days: int = 7, status: int = 200,
                    error: str = "", source: str = "", fmt: str = "toml") -> Response:
        days = max(1, min(days, 3660))
        end = datetime.now(UTC) + timedelta(seconds=1)
        found = shadows.report(web.engine_of(request).db, end - timedelta(days=days), end)
        charts = [bar_chart("Differences (live → shadow verdict)",
                            [(f"{a} → {b}", n) for (a, b), n in sorted(found.verdicts.items())]),
                  bar_chart("Differences by shadow clause",
                            [(f"{c}: {a} → {b}", n) for (c, a, b), n in sorted(found.by_clause.items())])]
        return web.render(request, "shadow.html", info, status, report=found, charts=charts, days=days,
                          error=error, form={"policy": source, "format": fmt},
                          running=web.engine_of(request).policy.label)

    @app.get("/policy/shadow", response_class=HTMLResponse)
    def shadow(request: Request, info: web.Admin, days: int = 7) -> Response:
        return shadow_page(request, info, days)

    @app.post("/policy/shadow", response_class=HTMLResponse)
    async def shadow_act(request: Request, info: web.Admin) -> Response:
        form = await web.checked_form(request, info)
        act = web.field(form, "act", limit=10)
        engine = web.engine_of(request)
        if act == "deploy":
            source, fmt = web.field(form, "policy", limit=MAX_POLICY_CHARS), web.field(form, "format", limit=10)
            try:
                body = PolicyText.model_validate({"policy": source, "format": fmt or "toml"})
                shadows.deploy(engine.db, body.parsed(), body.policy, body.format, info.principal.name)
            except ValidationError as exc:
                first = exc.errors()[0]
                return shadow_page(request, info, status=422, source=source, fmt=fmt,
                                   error=f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
            except PolicyError as exc:
                return shadow_page(request, info, status=422, source=source, fmt=fmt, error=exc.message)
        elif act == "clear":
            shadows.clear(engine.db, info.principal.name)
        elif act == "promote":
            if web.field(form, "confirm", limit=10) != "yes":
                return shadow_page(request, info, status=422, error="tick the box to confirm the promotion")
            shadows.promote(engine.db, info.principal.name, live_now=engine.policy.label)
        else:
            raise InvalidInput("act must be deploy, clear or promote", code="invalid_form")
        engine.deployments.refresh(force=True)
        return web.back("/policy/shadow")
