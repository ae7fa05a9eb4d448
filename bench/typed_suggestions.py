"""The typed lookup's "Did you mean" (portal/authenticity/typed.py): how many candidates a serial makes, how
long making them takes, and how long the one `serial IN (...)` statement takes on a units table of that
shape (the (model_id, serial) unique index) as the model's serials grow.

    .venv/bin/python bench/typed_suggestions.py                 # 10,000 / 100,000 / 1,000,000 serials
    .venv/bin/python bench/typed_suggestions.py --sizes 50000

SQLite in memory, a table with the units table's key columns and its unique index, filled with
ACME-0000001-style serials; the statement is the one typed.py builds (with SQLAlchemy's expanding bind).
Prints per size the median of 50 runs and the plan, with the load average next to the figures.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    create_engine,
    select,
)

from portal.authenticity.typed import edit_candidates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    typed = "ACME-00001"  # one digit short of ACME-000001..., and in upper case
    started = time.perf_counter()
    for _ in range(50):
        candidates = sorted(edit_candidates(typed.lower()))
    making = (time.perf_counter() - started) / 50
    print(f"candidates for {typed.lower()!r}: {len(candidates)}, made in {making * 1000:.2f} ms "
          f"(load {os.getloadavg()[0]:.2f})")
    worst = sorted(edit_candidates("ABCDEFGHIJ-123456789"))
    print(f"candidates for a 20-character serial: {len(worst)}")
    for size in (int(s) for s in args.sizes.split(",")):
        engine = create_engine("sqlite://")
        meta = MetaData()
        units = Table("units", meta, Column("id", Integer, primary_key=True), Column("model_id", Integer),
                      Column("serial", String(20)), UniqueConstraint("model_id", "serial"))
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(units.insert(), [{"model_id": 1 + n % 2, "serial": f"ACME-{n:06d}"}
                                          for n in range(size * 2)])
        stmt = (select(units.c.serial).where(units.c.model_id == 1,
                                              units.c.serial.in_(bindparam("candidates", expanding=True)))
                .order_by(units.c.serial).limit(8))
        timings = []
        with engine.connect() as conn:
            for _ in range(50):
                t0 = time.perf_counter()
                found = list(conn.execute(stmt, {"candidates": candidates}).scalars())
                timings.append(time.perf_counter() - t0)
            marks = ", ".join("?" for _ in candidates)
            plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN SELECT serial FROM units WHERE model_id = 1 AND serial IN ({marks}) "
                "ORDER BY serial LIMIT 8", tuple(candidates)))
        print(f"{size:>9,} serials of the model: {statistics.median(timings) * 1000:.2f} ms median, "
              f"found {found[:3]} (load {os.getloadavg()[0]:.2f}); plan: {plan}")


if __name__ == "__main__":
    main()
