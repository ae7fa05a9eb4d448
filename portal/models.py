"""Imports every area's models, so metadata (and Alembic) sees all tables."""
from portal.accounts.models import RecoveryCode, Role, SecondFactor, StaffMembership, User, UserSession  # noqa: F401
from portal.api.models import ApiToken, IdempotentRequest  # noqa: F401
from portal.authenticity.models import (  # noqa: F401
    CloneAlert,
    CounterfeitReport,
    Label,
    LabelRun,
    NfcTag,
    Scan,
    SigningKey,
)
from portal.catalog.epcis.models import CapturedEvent  # noqa: F401
from portal.catalog.import_jobs import ImportJob  # noqa: F401
from portal.catalog.models import CompanyPrefix, Lot, Manufacturer, ProductModel, Unit, UnitEvent  # noqa: F401
from portal.core.audit import AuditEntry  # noqa: F401
from portal.core.staging import StagedUpload  # noqa: F401
from portal.insights.models import RefreshState, UnitFacts  # noqa: F401
from portal.notifications.models import Notification  # noqa: F401
from portal.ops.heartbeat import WorkerHeartbeat  # noqa: F401
from portal.ownership.models import Ownership, OwnershipDispute, TransferOffer  # noqa: F401
from portal.recalls.models import RecallCampaign, RecallNotice, RecallUnit, SafetyContact  # noqa: F401
from portal.resale.marketplace_models import MarketplaceClient, WebhookSubscription  # noqa: F401
from portal.resale.models import OwnershipProof, PlatformKey  # noqa: F401
from portal.servicing.models import ServiceEntry  # noqa: F401
from portal.warranty.models import ClaimEntry, ExtendedCoverage, ReturnAddress, WarrantyClaim, WarrantyTerms  # noqa: F401
