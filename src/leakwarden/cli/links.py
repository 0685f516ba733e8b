"""``leakwarden expand URL``: follow a link the way a check would, and show where it leads."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from leakwarden.errors import InvalidInput
from leakwarden.links.chain import DEFAULT_FAN_OUT, refusal, shared_expander
from leakwarden.links.fetch import FetchSettings
from leakwarden.model import Hop, LinkChain
from leakwarden.signals.pii import atrest

TEXT_PREVIEW = 100


def _label(hop: Hop) -> str:
    head = f"[dim]{hop.via}[/dim] {escape(hop.url)}"
    if hop.error_code:
        return f"{head}  [red]{hop.error_code}[/red]: {escape(hop.error or '')}"
    facts = [str(hop.status) if hop.status is not None else "not fetched"]
    if hop.content_type:
        facts.append(hop.content_type)
    if hop.size is not None:
        facts.append(f"{hop.size} B")
    if hop.fetch_ms is not None:
        facts.append(f"{hop.fetch_ms:.0f} ms")
    line = f"{head}  [green]{' · '.join(facts)}[/green]"
    preview = " ".join(hop.text.split())[:TEXT_PREVIEW]
    return f"{line}\n[italic]{escape(preview)}[/italic]" if preview else line


def render_tree(chain: LinkChain) -> Tree:
    """The chain as a Rich tree: every hop under the hop it was reached from."""
    title = escape(chain.url) + ("" if chain.complete else "  [yellow](incomplete)[/yellow]")
    root = Tree(title)
    nodes: dict[int, Tree] = {}
    for index, hop in enumerate(chain.hops):
        parent = nodes.get(hop.parent) if hop.parent is not None else None
        nodes[index] = (parent or root).add(_label(hop))
    return root


def register(app: typer.Typer) -> None:
    @app.command("expand")
    def expand(
        url: str = typer.Argument(..., help="The URL to follow."),
        as_json: bool = typer.Option(False, "--json", help="Print the LinkChain as JSON."),
        depth: int = typer.Option(2, "--depth", help="Link levels to follow: 2 is post → page → document."),
        fan_out: int = typer.Option(DEFAULT_FAN_OUT, "--fan-out", help="Outlinks followed per page."),
        refetch: bool = typer.Option(False, "--refetch", help="Ignore cached fetch results."),
        budget: float = typer.Option(30.0, "--budget", help="Seconds to wait before showing what is known."),
    ) -> None:
        """Follow URL through redirects, pages and documents (SSRF-safe) and print the chain."""
        if depth < 0 or fan_out < 0 or budget <= 0:
            raise InvalidInput("--depth and --fan-out must not be negative, --budget must be positive")
        chains = shared_expander(FetchSettings())
        [chain] = chains.expand([url], budget_s=budget, max_depth=depth, fan_out=fan_out, refetch=refetch)
        refused = refusal(chain)
        if refused is not None:
            raise refused
        chain = atrest.masked_chain(chain)
        if as_json:
            typer.echo(json.dumps(chain.model_dump(mode="json"), ensure_ascii=False, indent=2))
        else:
            Console(soft_wrap=True).print(render_tree(chain))
