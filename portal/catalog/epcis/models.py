"""Captured EPCIS events (as sent, with the fields queries filter on), the identifiers each names, and the
capture jobs of the REST binding (docs/epcis.md)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class CapturedEvent(db.Model):
    """One accepted EPCIS event; its unit events point back to it (unit_events.epcis_event_id).

    The unique (tenant, eventID) pair is the real guard against recording an event twice: two captures of
    the same document racing each other both reach the insert, and only one commits. An error declaration
    never deletes the row: it sets `declared_at` and the reason, and the derived state is recomputed.
    """

    __tablename__ = "epcis_events"
    __table_args__ = (
        UniqueConstraint("manufacturer_id", "event_id"),
        CheckConstraint("units >= 0", name="units_not_negative"),
        Index("ix_epcis_events_manufacturer_id_event_time", "manufacturer_id", "event_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"))
    #: The event's eventID, or for an event without one a hash of its content ("ni:///sha-256;...").
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(40))
    action: Mapped[str | None] = mapped_column(String(10))
    #: The bizStep as a CBV word, or the URI of a company's own step; empty when the event gave none.
    biz_step: Mapped[str] = mapped_column(String(255), default="")
    #: The disposition as a CBV word or URI; empty when the event gave none (then it changes no status).
    disposition: Mapped[str] = mapped_column(String(255), default="", server_default="")
    biz_location: Mapped[str] = mapped_column(String(255), default="", server_default="")
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The recordTime queries answer with.
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Unit events recorded for it (one per unit it named).
    units: Mapped[int] = mapped_column(Integer, default=0)
    #: The event as JSON, as sent (`isA` read as `type`); queries answer with it.
    body: Mapped[str | None] = mapped_column(Text)
    #: Set by an error declaration: the event stands no more, its effects were recomputed away.
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The errorDeclaration as received (declarationTime, reason, correctiveEventIDs), as JSON.
    declaration: Mapped[str | None] = mapped_column(Text)
    capture_job_id: Mapped[int | None] = mapped_column(ForeignKey("epcis_capture_jobs.id"))


class EpcRole(StrEnum):
    """Where an identifier stands in an event: the EPCIS query parameters match on these."""

    EPC = "epc"  # epcList, childEPCs (MATCH_epc)
    PARENT = "parent"  # parentID (MATCH_parentID)
    INPUT = "input"  # inputEPCList
    OUTPUT = "output"  # outputEPCList


class CapturedEpc(db.Model):
    """One identifier one captured event names, in its canonical form (`canonical_epc`)."""

    __tablename__ = "epcis_event_epcs"
    __table_args__ = (Index("ix_epcis_event_epcs_epc_role", "epc", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("epcis_events.id"), index=True)
    role: Mapped[EpcRole] = mapped_column(str_enum(EpcRole, "epcis_epc_role"))
    epc: Mapped[str] = mapped_column(String(512))


class JobState(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    FAILURE = "failure"


class CaptureJob(db.Model):
    """A capture through the REST binding: `POST /epcis/capture` answers 202 with its address.

    The document waits in instance storage (`file_key`) until a run finishes it: a thread of the web
    process in development, the worker in production (jobs.py). `events_done` is the progress; with
    `proceed` it is also where a run that died resumes, since each chunk commits with it.
    """

    __tablename__ = "epcis_capture_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The captureID clients see: random, so job numbers of other tenants cannot be guessed.
    capture_id: Mapped[str] = mapped_column(String(40), unique=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    state: Mapped[JobState] = mapped_column(str_enum(JobState, "epcis_job_state"), default=JobState.RUNNING)
    #: GS1-Capture-Error-Behaviour: "rollback" (all or nothing) or "proceed".
    behaviour: Mapped[str] = mapped_column(String(10), default="rollback")
    events: Mapped[int] = mapped_column(Integer, default=0)
    #: The report as JSON: counts, per-event errors, notes (e.g. `isA` read as `type`).
    report: Mapped[str | None] = mapped_column(Text)
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The document as sent, in instance storage, until the job is finished.
    file_key: Mapped[str | None] = mapped_column(String(80))
    #: Where its events are in it (an ijson prefix; "" for a document that is one event).
    source: Mapped[str] = mapped_column(String(80), default="", server_default="")
    #: Events read and decided so far (committed with them under proceed).
    events_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Runs started; a run's outcome counts only if no later run has claimed the job since.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
