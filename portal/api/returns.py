"""/api/v1/return-addresses: where owners send products back, per country they send from, and a default.

The rules are the console's (warranty/returns.py); reading them needs claims:read, changing them
returns:write (which only a tenant admin's token can hold, as only admins change them in the console).
"""
from __future__ import annotations

import marshmallow as ma
from flask import g
from marshmallow import fields, validate

from portal.api.blueprint import bp, operation
from portal.api.models import Scope
from portal.api.schemas import Strict
from portal.core.errors import DomainError
from portal.warranty import returns

TAG = "Claims"
DEFAULT = "default"


class ReturnAddressSchema(ma.Schema):
    country = fields.String(metadata={"description": "ISO 3166-1 alpha-2 of the owners it serves, or `default` "
                                                     "for every other country", "example": "FR"})
    lines = fields.List(fields.String(), metadata={"description": "The postal address, one line per line",
                                                   "example": ["Acme Returns", "12 rue du Port", "69002 Lyon", "France"]})


class ReturnAddressListSchema(ma.Schema):
    items = fields.List(fields.Nested(ReturnAddressSchema))


class ReturnAddressInSchema(Strict):
    lines = fields.List(fields.String(validate=validate.Length(min=1, max=returns.MAX_LINE)), required=True,
                        validate=validate.Length(min=1, max=returns.MAX_LINES),
                        metadata={"description": "The postal address, one line per line (1 to 6 lines of at most "
                                                 "80 characters)"})


def _out(address) -> dict:
    return {"country": address.country or DEFAULT, "lines": list(address.lines)}


def _country(country: str) -> str:
    if country.lower() == DEFAULT:
        return ""
    try:
        return returns.parse_country(country) or returns.parse_country("?")
    except DomainError as err:
        err.location = "path"
        raise


@bp.route("/return-addresses", methods=["GET"], tags=[TAG])
@operation(Scope.CLAIMS_READ)
@bp.response(200, ReturnAddressListSchema)
def list_return_addresses():
    """List your return addresses

    The address printed on the return form (RMA) of a claim whose owner sends from that country, and the
    `default` for every other country.
    """
    return {"items": [_out(a) for a in returns.addresses_of(g.tenant.id)]}


@bp.route("/return-addresses/<country>", methods=["PUT"], tags=[TAG])
@operation(Scope.RETURNS_WRITE, body=True, errors=(422,))
@bp.arguments(ReturnAddressInSchema)
@bp.response(200, ReturnAddressSchema)
def put_return_address(body: dict, country: str):
    """Set a return address

    For owners sending from `country` (ISO 3166-1 alpha-2), or `default` for every other country. It
    replaces the address that country had.
    """
    code = _country(country)
    returns.save_address(g.tenant.id, code, "\n".join(body["lines"]), actor=g.api_token.actor_label)
    return _out(returns.address_for(g.tenant.id, code))


@bp.route("/return-addresses/<country>/remove", methods=["POST"], tags=[TAG])
@operation(Scope.RETURNS_WRITE, body=True)
@bp.response(204)
def remove_return_address(country: str):
    """Remove a return address

    Return forms of that country then show the default address.
    """
    returns.remove_address(g.tenant.id, _country(country), actor=g.api_token.actor_label)
    return ""
