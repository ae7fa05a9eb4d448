"""Per-field validation of passport data, from the tier table (fields.py): types, units, ranges, enums, patterns
and required fields. Errors name the field by its data-model key, so every input (form, import, API, sensor
report) reports alike; the caller stores nothing when any error is found."""
from __future__ import annotations

import math
import re
from datetime import date, datetime

from flask_babel import gettext as _

from portal.passport.fields import CAS, DATETIME_PATTERN, UNITS, Field, Kind, Scope, field_of, fields_of

EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
MAX_TEXT = 2000
MAX_ITEMS = 200


class FieldErrors(Exception):
    """Some fields were refused: key -> reason."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _number(value, f_min, f_max, integer: bool = False):
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        if isinstance(value, str):
            try:
                value = float(value.strip().replace(",", "."))
            except ValueError:
                raise ValueError(_("must be a number")) from None
            if not math.isfinite(value):
                raise ValueError(_("must be a number"))
        else:
            raise ValueError(_("must be a number"))
    if integer:
        if value != int(value):
            raise ValueError(_("must be a whole number"))
        value = int(value)
    if f_min is not None and value < f_min:
        raise ValueError(_("must be at least %(min)s", min=f"{f_min:g}"))
    if f_max is not None and value > f_max:
        raise ValueError(_("must be at most %(max)s", max=f"{f_max:g}"))
    return value


def _scalar(kind: str, value, extra=()):
    """One value of a simple type, cleaned; ValueError with the reason."""
    if kind == "number":
        lo, hi = extra if extra else (None, None)
        return _number(value, lo, hi)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
            return value.strip().lower() in ("true", "yes")
        raise ValueError(_("must be true or false"))
    if kind == "langtext":  # a text, or a text per language ({"en": ..., "de": ...}) as the data model keeps it
        if isinstance(value, str):
            return {"en": _scalar("string", value)}
        if not isinstance(value, dict) or not value or not all(
                isinstance(k, str) and re.match(r"^[a-z]{2}(-[A-Za-z]{2})?$", k) for k in value):
            raise ValueError(_("must be a text, or texts by language code"))
        return {k: _scalar("string", v) for k, v in value.items()}
    if kind in ("objects", "strings"):
        if not isinstance(value, list) or not value or len(value) > MAX_ITEMS:
            raise ValueError(_("must be a list of 1 to %(max)d entries", max=MAX_ITEMS))
        return [_scalar("object" if kind == "objects" else "string", v, extra) for v in value]
    if kind == "object":
        if not isinstance(value, dict):
            raise ValueError(_("must be an object"))
        unknown = set(value) - set(extra)
        if unknown:
            raise ValueError(_("unknown attribute %(name)s", name=min(unknown)))
        return {k: _scalar(extra[k][0], v, extra[k][1]) for k, v in value.items()}
    if not isinstance(value, str):
        if kind == "datetime" and isinstance(value, datetime | date):
            value = value.isoformat()
        else:
            raise ValueError(_("must be text"))
    value = value.strip()
    if not value:
        raise ValueError(_("must not be empty"))
    if len(value) > MAX_TEXT:
        raise ValueError(_("must be at most %(max)d characters", max=MAX_TEXT))
    if kind == "enum":
        if value not in extra:
            raise ValueError(_("'%(value)s' is not one of: %(choices)s", value=value[:40], choices=", ".join(extra)))
    elif kind == "uri":
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
            raise ValueError(_("must be an http or https address"))
    elif kind == "email":
        if not EMAIL.match(value):
            raise ValueError(_("must be an e-mail address"))
    elif kind == "datetime":
        if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            value += "T00:00:00Z"
        if not re.match(DATETIME_PATTERN, value):
            raise ValueError(_("must be a date and time such as %(example)s", example="2026-02-18T09:00:00Z"))
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(_("is not a real date and time")) from None
    elif kind == "cas":
        if not re.match(CAS, value):
            raise ValueError(_("must be a CAS number such as %(example)s", example="7439-93-2"))
    elif kind != "string":
        raise ValueError(_("has an unknown type %(type)s", type=kind))
    return value


def _list(f: Field, value) -> list:
    if not isinstance(value, list):
        raise ValueError(_("must be a list"))  # noqa: TRY004  (a refusal for the person, not a bug)
    if len(value) > MAX_ITEMS:
        raise ValueError(_("must have at most %(max)d entries", max=MAX_ITEMS))
    out = []
    for n, item in enumerate(value, start=1):
        if "" in f.items:  # a list of plain values
            try:
                out.append(_scalar(f.items[""][0], item, f.items[""][1]))
            except ValueError as err:
                raise ValueError(_("entry %(n)d %(reason)s", n=n, reason=err)) from None
            continue
        if not isinstance(item, dict):
            raise ValueError(_("entry %(n)d must be an object", n=n))  # noqa: TRY004
        unknown = set(item) - set(f.items)
        if unknown:
            raise ValueError(_("entry %(n)d has an unknown attribute %(name)s", n=n, name=min(unknown)))
        clean = {}
        for name, (kind, extra) in f.items.items():
            if name not in item or item[name] in (None, ""):
                raise ValueError(_("entry %(n)d lacks %(name)s", n=n, name=name))
            try:
                clean[name] = _scalar(kind, item[name], extra)
            except ValueError as err:
                raise ValueError(_("entry %(n)d: %(name)s %(reason)s", n=n, name=name, reason=err)) from None
        out.append(clean)
    return out


def clean_value(f: Field, raw):
    """The stored form of one value for `f`. A number may come as {"value": 12, "unit": "Wh"}: the unit must be
    one this field's unit reads as (converted), or the value is refused."""
    if isinstance(raw, dict) and f.type in ("number", "integer") and set(raw) <= {"value", "unit"}:
        unit = str(raw.get("unit") or "").strip()
        raw = raw.get("value")
        if unit and unit != f.unit:
            spellings = UNITS.get(f.unit, ("", {}))[1]
            if unit not in spellings:
                accepted = ", ".join([f.unit, *spellings]) if f.unit else _("none")
                raise ValueError(_("unit '%(unit)s' is not a unit of this field (accepted: %(accepted)s)", unit=unit[:20],
                                   accepted=accepted))
            raw = _number(raw, None, None) * spellings[unit]
            raw = round(raw, 9)
    if f.type in ("number", "integer"):
        return _number(raw, f.minimum, f.maximum, integer=f.type == "integer")
    if f.type == "list":
        return _list(f, raw)
    if f.type == "pattern":
        value = _scalar("string", raw)
        if not re.match(f.pattern, value):
            raise ValueError(_("is not in the expected form"))
        return value
    return _scalar(f.type, raw, f.enum)


def validate(kind: Kind | str, scope: Scope, given: dict, *, base: dict | None = None,
             require: bool = False) -> dict:
    """Clean `given` (key -> raw value, None to clear) for `scope`; the merged data (base updated) is returned.

    Every error is collected, then FieldErrors is raised with all of them: nothing is half-accepted. With
    `require`, required fields of the scope missing from the merged data are errors too.
    """
    errors: dict[str, str] = {}
    merged = dict(base or {})
    if not isinstance(given, dict):
        raise FieldErrors({"": _("the data must be an object of field names and values")})
    for key, raw in given.items():
        f = field_of(kind, str(key))
        if f is None:
            errors[str(key)[:80]] = _("is not a field of this passport")
            continue
        if f.scope is not scope:
            errors[key] = (_("is computed by the portal") if f.scope is Scope.DERIVED else
                           _("is kept per unit") if f.scope is Scope.DYNAMIC else _("is kept per model or lot"))
            continue
        if raw is None or raw == "":
            merged.pop(key, None)
            continue
        try:
            merged[key] = clean_value(f, raw)
        except ValueError as err:
            errors[key] = str(err)
    if require:
        for f in fields_of(kind):
            if f.scope is scope and f.required and f.key not in merged and f.key not in errors:
                errors[f.key] = _("is required")
    if errors:
        raise FieldErrors(errors)
    return merged
