"""What the loyalty services return: frozen views, never ORM rows; and the rules in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from shopdesk.domain.loyalty import rules
from shopdesk.services.settings import SettingsService


@dataclass(frozen=True)
class LoyaltyRules:
    """The manager's earning, expiry, tier and benefit rules (settings `loyalty.*`)."""

    per_unit: Decimal
    multipliers: dict[str, Decimal]
    referral_bonus: int
    feedback_points: int
    anniversary_bonus: int
    expiry_months: int
    notice_days: int
    point_value: Decimal
    basis: str
    thresholds: dict[str, Decimal]
    grace: timedelta
    labour_discount: dict[str, Decimal]
    warranty_days: dict[str, Decimal]
    priority_tiers: frozenset[str]
    vip: dict[str, Decimal]
    vip_min: int

    @classmethod
    def of(cls, settings: SettingsService) -> LoyaltyRules:
        v = settings.all()
        kinds = ("repair", "part_purchase", "consultation", "warranty_claim", "return_exchange")
        return cls(
            per_unit=Decimal(v["loyalty.points_per_unit"]),
            multipliers=rules.parse_map(v["loyalty.multipliers"], kinds),
            referral_bonus=int(v["loyalty.referral_bonus"]),
            feedback_points=int(v["loyalty.feedback_points"]),
            anniversary_bonus=int(v["loyalty.anniversary_bonus"]),
            expiry_months=int(v["loyalty.expiry_months"]),
            notice_days=int(v["loyalty.expiry_notice_days"]),
            point_value=Decimal(v["loyalty.point_value"]),
            basis=v["loyalty.tier_basis"],
            thresholds=rules.parse_map(v["loyalty.tier_thresholds"], rules.TIERS[1:]),
            grace=timedelta(days=int(v["loyalty.demotion_grace_days"])),
            labour_discount=rules.parse_map(v["loyalty.labour_discount"], rules.TIERS),
            warranty_days=rules.parse_map(v["loyalty.warranty_extra_days"], rules.TIERS),
            priority_tiers=frozenset(t for t in v["loyalty.priority_tiers"].split(",") if t),
            vip=rules.parse_map(v["loyalty.vip_criteria"],
                                ("visits", "spend", "years", "referrals", "business")),
            vip_min=int(v["loyalty.vip_min_criteria"]),
        )

    def expires(self, earned: datetime) -> datetime:
        return rules.add_months(earned, self.expiry_months)


@dataclass(frozen=True)
class Benefits:
    """What the customer's tier (and VIP flag) gives them, as the app applies it."""

    tier: str
    labour_discount: Decimal  # percent
    extra_warranty_days: int
    priority: bool
    vip: bool
    vip_reasons: tuple[str, ...]


@dataclass(frozen=True)
class LedgerLine:
    id: UUID
    at: datetime
    kind: str
    source: str
    points: int
    reason: str
    ticket_number: str | None
    actor: str
    expires_at: datetime | None


@dataclass(frozen=True)
class LotView:
    id: str
    earned_at: datetime
    points: int
    remaining: int
    expires_at: datetime | None


@dataclass(frozen=True)
class Balance:
    """The quick answer (one indexed sum and one row): balance and tier."""

    customer_id: UUID
    balance: int
    tier: str


@dataclass(frozen=True)
class Account:
    customer_id: UUID
    code: str
    name: str
    balance: int
    available: int
    tier: str
    tier_since: datetime | None
    basis: str  # 'points' or 'spend'
    qualifying: Decimal  # the last 12 months' points or spend
    next_tier: str | None
    to_next: Decimal
    demotion_pending_since: datetime | None
    overspent: int
    reversal_deficit: int
    benefits: Benefits
    lots: tuple[LotView, ...]
    history: tuple[LedgerLine, ...]
    entries: int


@dataclass(frozen=True)
class PickupPoints:
    """The loyalty side of one pickup, for the receipt."""

    earned: int
    redeemed: int
    redeemed_value: Decimal
    balance: int


@dataclass(frozen=True)
class NightlyReport:
    customers: int
    expired_lots: int
    expired_points: int
    corrections: int
    notices: int
    anniversaries: int
    promotions: int
    demotions: int
    seconds: float
