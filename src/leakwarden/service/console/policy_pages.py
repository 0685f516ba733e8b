"""Console pages for trying a policy before it goes live (admin): run a backtest and read it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from leakwarden.errors import InvalidInput, PolicyError
from leakwarden.policy import backtest as backtests
from leakwarden.policy import backtest_report
from leakwarden.service.console import web
from leakwarden.service.routes.policies import MAX_POLICY_CHARS, BacktestIn, run_backtest


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
