"""What the marketplace API brings to the application: the webhook channel of the outbox, the receiver of proof
status changes, and the platform admin's commands for marketplace clients (`flask marketplace ...`)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal.core.signals import proof_changed
from portal.core.work import run_for_cli
from portal.notifications.services import register_channel
from portal.resale import marketplace
from portal.resale.marketplace_models import MarketplaceScope
from portal.resale.marketplace_webhooks import CHANNEL, send


def init_app(app: Flask) -> None:
    register_channel(CHANNEL, send)
    proof_changed.connect(marketplace.proof_changed, weak=False)
    app.config.setdefault("WEBHOOK_ALLOW_PRIVATE", False)
    app.cli.add_command(commands)


commands = AppGroup("marketplace", help="Marketplace API clients (docs/resale.md, 'Marketplace API').")


@commands.command("issue")
@click.option("--name", required=True, help="The marketplace or dealer, e.g. 'Chrono Market'.")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice([s.value for s in MarketplaceScope]), help="Repeat for several scopes.")
@click.option("--days", default=365, show_default=True, help="How long the token works.")
def issue(name, scopes, days):
    """Make a marketplace client and print its token (shown once)."""
    client, token = run_for_cli(lambda: marketplace.issue_client(name=name, scopes=list(scopes), days=days,
                                                                 actor="cli"))
    click.echo(f"{client.name}: {token}")
    click.echo(f"valid until {client.expires_at.date().isoformat()} (UTC); scopes: {client.scopes}")


@commands.command("revoke")
@click.argument("prefix")
def revoke(prefix):
    """Stop a marketplace client's token at once (PREFIX: the part after pvm_)."""
    run_for_cli(lambda: marketplace.revoke_client(prefix, actor="cli"))
    click.echo(f"{prefix} revoked")
