"""Recall letters per second, laid out by WeasyPrint in one process and in a pool across the cores.

    .venv/bin/python bench/letters.py                      # 400 letters, SQLite in a temporary folder
    .venv/bin/python bench/letters.py --letters 1000 --processes 1 2

N owners whose address is unconfirmed own one recalled unit each, so each gets a printed letter
(`portal.recalls.letters.render_letters`, one PDF). The same batch is rendered once per --processes value
(1: everything in this process; more: the pool), in this process, against the figure for one process:
letters/s, the speed-up, the PDF's pages and size, and peak memory (this process, and the largest pool
process) measured by resource.getrusage. The load average is printed with each figure.
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--letters", type=int, default=400)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    from outbox import NOTICE
    from pypdf import PdfReader
    from recall_launch import bench_app, prepare
    from sqlalchemy import update

    from portal.accounts.models import User
    from portal.extensions import db
    from portal.recalls.letters import LETTERS_PER_PART, render_letters
    from portal.recalls.services import launch, save_draft

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    app = bench_app(f"sqlite:///{tmp / 'bench.sqlite3'}", tmp)
    with app.app_context():
        tenant, model = prepare(args.letters, args.letters)
        db.session.execute(update(User).values(email_verified_at=None))  # only a letter reaches them
        campaign = save_draft(tenant, actor="bench", number="R-1", title="Brake cable may fray",
                              hazard="Loss of braking", criteria={"model_ids": [model.id]}, **NOTICE)
        launch(campaign, remedy_available=True, actor="bench")
        db.session.commit()
        print(f"{args.letters:,} letters, {LETTERS_PER_PART} per part, {os.cpu_count()} cores", flush=True)
        first = None
        for processes in args.processes:
            out = io.BytesIO()
            load, started = os.getloadavg()[0], time.perf_counter()
            count = render_letters(campaign, out, processes=processes)
            took = time.perf_counter() - started
            rate = count / took
            first = first or rate
            pdf = out.getvalue()
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            pool = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"processes={processes}: {count:,} letters in {took:.1f} s = {rate:.1f} letters/s, "
                  f"{rate / first:.2f}x the first; {len(PdfReader(io.BytesIO(pdf)).pages):,} pages, "
                  f"{len(pdf) / 1e6:.1f} MB; peak RSS here {own:.0f} MB, largest pool process {pool:.0f} MB "
                  f"(load {load:.1f} -> {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
