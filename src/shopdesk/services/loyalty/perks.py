"""Tier benefits and the VIP flag (spec 6.2, 9.2), as the app applies them.

Benefits per tier come from the manager's settings: a labour discount, extra days
of shop warranty, priority on the ticket board. A customer is VIP when they meet
at least `loyalty.vip_min_criteria` of: visits and spend in the last 12 months,
years as a customer, customers referred, being a business.

Thread rule: any thread (reads inside the caller's session).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopdesk.models import Customer, CustomerLoyalty, ServiceRecord, Setting
from shopdesk.models.loyalty import money_sum
from shopdesk.services.loyalty.loyalty_views import Benefits, LoyaltyRules
from shopdesk.services.settings import CATALOGUE


def vip_reasons(session: Session, rule: LoyaltyRules, customer: Customer,
                now: datetime) -> tuple[str, ...]:
    since = now - timedelta(days=365)
    visits, spend = session.execute(select(
        func.count(ServiceRecord.id), func.coalesce(func.sum(ServiceRecord.total), 0)).where(
        ServiceRecord.customer_id == customer.id, ServiceRecord.occurred_at >= since)).one()
    spend = money_sum(spend)
    referrals = session.scalar(select(func.count()).select_from(CustomerLoyalty).where(
        CustomerLoyalty.referred_by == customer.id)) or 0
    years = (now - customer.created_at).days / 365.25
    v = rule.vip
    met = []
    if v["visits"] and visits >= v["visits"]:
        met.append(f"{visits} visits in 12 months")
    if v["spend"] and spend >= v["spend"]:
        met.append(f"{spend} spent in 12 months")
    if v["years"] and years >= float(v["years"]):
        met.append(f"customer for {int(years)} years")
    if v["referrals"] and referrals >= v["referrals"]:
        met.append(f"referred {referrals} customers")
    if v["business"] and customer.customer_type == "business":
        met.append("business customer")
    return tuple(met)


def benefits_in(session: Session, rule: LoyaltyRules, customer: Customer, tier: str,
                now: datetime) -> Benefits:
    reasons = vip_reasons(session, rule, customer, now)
    vip = len(reasons) >= rule.vip_min
    return Benefits(tier=tier, labour_discount=rule.labour_discount[tier],
                    extra_warranty_days=int(rule.warranty_days[tier]),
                    priority=tier in rule.priority_tiers or vip, vip=vip,
                    vip_reasons=reasons if vip else ())


def priority_customers(session: Session, rule: LoyaltyRules, ids: Iterable[UUID]) -> set[UUID]:
    """Which of `ids` go first on the ticket board (their tier is a priority tier)."""
    wanted = list(set(ids))
    if not wanted or not rule.priority_tiers:
        return set()
    return set(session.scalars(select(CustomerLoyalty.customer_id).where(
        CustomerLoyalty.customer_id.in_(wanted),
        CustomerLoyalty.tier.in_(sorted(rule.priority_tiers)))))


def priority_customers_in(session: Session, ids: Iterable[UUID]) -> set[UUID]:
    """`priority_customers` with the rule read in the caller's session (the board)."""
    wanted = list(set(ids))
    if not wanted:
        return set()
    text = session.scalar(select(Setting.value).where(
        Setting.key == "loyalty.priority_tiers")) or CATALOGUE["loyalty.priority_tiers"].default
    tiers = [t for t in text.split(",") if t]
    if not tiers:
        return set()
    return set(session.scalars(select(CustomerLoyalty.customer_id).where(
        CustomerLoyalty.customer_id.in_(wanted), CustomerLoyalty.tier.in_(tiers))))
