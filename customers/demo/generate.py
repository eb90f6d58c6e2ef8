"""Deterministic demo data plans: accounts and contacts as numpy columns, plus the parameters
from which the database expands each contact's orders and interactions (customers/demo/load.py).

No Django here: the same (profile, contacts, seed) always gives the same plan, on any machine,
so tests and analytics can recompute the hidden truth (value level, churn) of every contact
and match it to the stored row by email. Every time is "days before now" (a float); the
loader turns it into a timestamp relative to the seed's ``now``.

The planted signal (what analytics should be able to find)
==========================================================
Value. Each contact has a latent value score

    s = 0.45 * size + industry_effect + tier_effect + noise(sd 0.35)

where ``size = (log10(account employees) - 1.6) / 0.7`` (-0.8 for contacts without an
account), ``industry_effect`` is Industry.value_effect in vocab.py (0 without an account)
and ``tier_effect`` is +0.6 / +0.15 / -0.25 for the observable ``custom_fields["tier"]``
gold / silver / bronze. ``value_level`` is the quintile of s within the tenant (1 to 5).
A buyer's order rate is proportional to exp(0.55 s) and the log of each order amount is
normal with mean ln(base amount) + 0.45 s and sd 0.55. The process is stationary for active
customers, so next-period spend is predictable from past recency, frequency and monetary
value (and from size, industry and tier).

Lifecycle. 10% leads and 8% prospects (recently created, no orders); the rest are buyers
with at least one order and about 10 orders on average over the last two years (fewer
for recent customers and churners). Order status: 2.5% refunded, 2% cancelled, a share of
orders from the last three days pending, the rest paid.

Churn. A buyer who has been a customer for at least 150 days churns with probability

    sigmoid(-2.1 + 1.1 * (no email consent) + 0.9 * (source == "discount") - 0.5 * s - 0.7 * engagement)

(about a fifth of buyers). ``engagement`` is a latent N(0, 1) that also sets how many
interactions a contact has (rate proportional to exp(0.6 * engagement), about 2 per
contact) and raises the chance of email and SMS consent. A churner stops ordering
``churn_days_ago`` = 90 to 365 days before now; over the 180 days before that its order
rate declines linearly to zero (declining frequency), it has no interactions after the
churn date (few recent interactions), and its lifecycle stage is "churned".
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from customers.demo import vocab

LEAD_SHARE = 0.10
PROSPECT_SHARE = 0.08
ORDERS_PER_BUYER = 10.0
INTERACTIONS_PER_CONTACT = 2.0
ORDER_WINDOW_DAYS = 730.0
DECLINE_DAYS = 180.0
AMOUNT_SIGMA = 0.55
CONTACTS_PER_ACCOUNT = 8
TIERS = ("gold", "silver", "bronze")
TIER_SHARES = (0.15, 0.35, 0.50)
TIER_EFFECTS = (0.6, 0.15, -0.25)


@dataclass(frozen=True)
class TenantProfile:
    slug: str
    name: str
    currency: str
    time_zone: str
    country: str
    chinese: bool
    base_order_amount: float  # a typical order, in the tenant's currency
    language: str = "en"


ACME = TenantProfile("acme", "Acme Corporation", "USD", "America/New_York", "US", False, 180.0)
# Language stays English until the Simplified Chinese catalogue ships (issue 9); a half-translated
# UI (Django's own strings only) would look broken.
GLOBEX = TenantProfile("globex", "Globex (Shanghai)", "CNY", "Asia/Shanghai", "CN", True, 1200.0)


def globex_contacts(acme_contacts: int) -> int:
    return max(200, acme_contacts // 4)


@dataclass(frozen=True)
class AccountPlan:
    name: list[str]
    industry: list[str]
    employees: np.ndarray
    domain: list[str]
    website: list[str]
    phone: list[str]
    street: list[str]
    city: list[str]
    region: list[str]
    postal_code: list[str]
    owner_slot: np.ndarray  # index into the tenant's sales reps
    parent: np.ndarray  # index of the parent account, -1 for none
    created_days_ago: np.ndarray

    def __len__(self) -> int:
        return len(self.name)


@dataclass(frozen=True)
class ContactPlan:
    first_name: list[str]
    last_name: list[str]
    email: list[str]
    phone: list[str]
    title: list[str]
    account: np.ndarray  # account index, -1 for none
    owner_slot: np.ndarray
    lifecycle_stage: np.ndarray  # str
    source: np.ndarray  # str
    city: list[str]
    birthday_days_ago: np.ndarray  # -1: unknown
    email_consent: np.ndarray
    sms_consent: np.ndarray
    tier: np.ndarray  # str, stored in custom_fields
    created_days_ago: np.ndarray
    updated_days_ago: np.ndarray
    # The hidden truth (never stored as columns).
    value_score: np.ndarray
    value_level: np.ndarray  # 1..5
    engagement: np.ndarray
    churned: np.ndarray
    churn_days_ago: np.ndarray  # 0 when not churned
    # What the database expands into orders and interactions.
    n_orders: np.ndarray
    orders_from_days_ago: np.ndarray
    orders_to_days_ago: np.ndarray
    decline_days: np.ndarray
    stable_share: np.ndarray  # share of orders before the decline
    amount_mu: np.ndarray
    n_interactions: np.ndarray
    interactions_from_days_ago: np.ndarray
    interactions_to_days_ago: np.ndarray

    def __len__(self) -> int:
        return len(self.email)


@dataclass(frozen=True)
class TenantPlan:
    profile: TenantProfile
    accounts: AccountPlan
    contacts: ContactPlan
    sql_seed: int  # seeds the hash that draws orders and interactions in SQL


def plan_tenant(profile: TenantProfile, *, contacts: int, seed: int, sales_reps: int) -> TenantPlan:
    """The whole demo data plan for one tenant; identical for identical arguments."""
    if contacts < 1 or sales_reps < 1:
        raise ValueError("A demo tenant needs at least one contact and one sales rep.")
    rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(profile.slug.encode())]))
    accounts = _plan_accounts(rng, profile, max(1, contacts // CONTACTS_PER_ACCOUNT), sales_reps)
    contact_plan = _plan_contacts(rng, profile, contacts, accounts, sales_reps)
    return TenantPlan(profile, accounts, contact_plan, int(rng.integers(1, 2**62)))


def _weighted(rng: np.random.Generator, weights: tuple[float, ...] | list[float], size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _pick(options: tuple[str, ...] | list[str], index: np.ndarray) -> list[str]:
    return np.asarray(options, dtype=object)[index].tolist()


def _digits(rng: np.random.Generator, size: int, width: int) -> list[str]:
    return np.char.zfill(rng.integers(0, 10**width, size=size).astype(str), width).tolist()


def _unique(bases: list[str]) -> list[str]:
    """Append a counter to repeated names: bluepeak, bluepeak2, bluepeak3..."""
    seen: dict[str, int] = {}
    unique = []
    for base in bases:
        count = seen.get(base, 0) + 1
        seen[base] = count
        unique.append(base if count == 1 else f"{base}{count}")
    return unique


def _plan_accounts(rng: np.random.Generator, profile: TenantProfile, n: int, sales_reps: int) -> AccountPlan:
    industry = _weighted(rng, [i.weight for i in vocab.INDUSTRIES], n)
    employees = np.clip(np.rint(np.exp(rng.normal(np.log(40), 1.6, n))), 1, 250_000).astype(np.int64)
    cities = vocab.ZH_CITIES if profile.chinese else vocab.EN_CITIES
    city = _weighted(rng, vocab.ZH_CITY_WEIGHTS if profile.chinese else vocab.EN_CITY_WEIGHTS, n)
    number = rng.integers(1, 2000, n)
    if profile.chinese:
        brand = rng.integers(0, len(vocab.ZH_BRANDS), n)
        suffix = rng.integers(0, len(vocab.ZH_COMPANY_SUFFIXES), n)
        names = [
            f"{cities[c].name}{vocab.ZH_BRANDS[b][0]}{vocab.INDUSTRIES[i].zh_word}{vocab.ZH_COMPANY_SUFFIXES[s]}"
            for c, b, i, s in zip(city.tolist(), brand.tolist(), industry.tolist(), suffix.tolist(), strict=True)
        ]
        domain_bases = [
            f"{vocab.ZH_BRANDS[b][1]}{vocab.INDUSTRIES[i].en_words[0].lower()}"
            for b, i in zip(brand.tolist(), industry.tolist(), strict=True)
        ]
        industries = [vocab.INDUSTRIES[i].zh for i in industry.tolist()]
        streets = [
            f"{vocab.ZH_STREETS[s]}{k}号" for s, k in zip(rng.integers(0, 16, n).tolist(), number.tolist(), strict=True)
        ]
        postal = [cities[c].postal_prefix + d for c, d in zip(city.tolist(), _digits(rng, n, 3), strict=True)]
        # Landlines: eight digits after the area code, starting with 5 or 6.
        lead = np.asarray(["5", "6"])[rng.integers(0, 2, n)].tolist()
        digits = _digits(rng, n, 7)
        phones = [f"+86{cities[c].area_code}{a}{d}" for c, a, d in zip(city.tolist(), lead, digits, strict=True)]
    else:
        first = rng.integers(0, len(vocab.EN_BRAND_FIRST), n)
        second = rng.integers(0, len(vocab.EN_BRAND_SECOND), n)
        core = rng.integers(0, 1000, n)
        suffix = rng.integers(0, len(vocab.EN_COMPANY_SUFFIXES), n)
        cores = [
            vocab.INDUSTRIES[i].en_words[k % len(vocab.INDUSTRIES[i].en_words)]
            for i, k in zip(industry, core, strict=True)
        ]
        brands = [f"{vocab.EN_BRAND_FIRST[a]} {vocab.EN_BRAND_SECOND[b]}" for a, b in zip(first, second, strict=True)]
        names = [
            f"{b} {c} {vocab.EN_COMPANY_SUFFIXES[s]}" for b, c, s in zip(brands, cores, suffix.tolist(), strict=True)
        ]
        domain_bases = [f"{b}{c}".replace(" ", "").lower() for b, c in zip(brands, cores, strict=True)]
        industries = [vocab.INDUSTRIES[i].en for i in industry.tolist()]
        streets = [
            f"{k} {vocab.EN_STREETS[s]}" for k, s in zip(number.tolist(), rng.integers(0, 20, n).tolist(), strict=True)
        ]
        postal = [cities[c].postal_prefix + d for c, d in zip(city.tolist(), _digits(rng, n, 2), strict=True)]
        # 555-01xx: the US range reserved for fiction.
        phones = [f"+1{cities[c].area_code}55501{d}" for c, d in zip(city.tolist(), _digits(rng, n, 2), strict=True)]
    domains = [f"{d}.example" for d in _unique(domain_bases)]

    # About 6% of the smaller accounts are subsidiaries of an enterprise (1000+ staff) that has
    # no parent itself, so the hierarchy is one level deep and has no cycles.
    parent = np.full(n, -1, dtype=np.int64)
    enterprises = np.flatnonzero(employees >= 1000)
    if len(enterprises):
        children = np.flatnonzero((employees < 1000) & (rng.random(n) < 0.06))
        parent[children] = enterprises[rng.integers(0, len(enterprises), len(children))]

    return AccountPlan(
        name=names,
        industry=industries,
        employees=employees,
        domain=domains,
        website=[f"https://www.{d}" for d in domains],
        phone=phones,
        street=streets,
        city=[cities[c].name for c in city.tolist()],
        region=[cities[c].region for c in city.tolist()],
        postal_code=postal,
        owner_slot=rng.integers(0, sales_reps, n),
        parent=parent,
        created_days_ago=np.round(rng.uniform(200, 2500, n), 4),
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _plan_contacts(
    rng: np.random.Generator, profile: TenantProfile, n: int, accounts: AccountPlan, sales_reps: int
) -> ContactPlan:
    n_accounts = len(accounts)
    # 80% work for an account (bigger companies have more contacts; every account gets one
    # while there are enough); the rest are individual consumers.
    has_account = rng.random(n) < 0.8
    weights = np.sqrt(accounts.employees) + 1.0
    account = np.full(n, -1, dtype=np.int64)
    account[has_account] = rng.choice(n_accounts, size=int(has_account.sum()), p=weights / weights.sum())
    with_account = np.flatnonzero(has_account)
    covered = min(n_accounts, len(with_account))
    account[with_account[:covered]] = rng.permutation(n_accounts)[:covered]

    # Names and addresses.
    cities = vocab.ZH_CITIES if profile.chinese else vocab.EN_CITIES
    own_city = _weighted(rng, vocab.ZH_CITY_WEIGHTS if profile.chinese else vocab.EN_CITY_WEIGHTS, n)
    account_city = np.asarray([c.name for c in cities], dtype=object)
    city_names = account_city[own_city]
    at_account_city = (account >= 0) & (rng.random(n) < 0.8)
    city_names[at_account_city] = np.asarray(accounts.city, dtype=object)[account[at_account_city]]
    if profile.chinese:
        surname_rank = np.arange(len(vocab.ZH_SURNAMES))
        surname = _weighted(rng, (1.0 / (surname_rank + 3)).tolist(), n)
        given = rng.integers(0, len(vocab.ZH_GIVEN_NAMES), n)
        first_names = [vocab.ZH_GIVEN_NAMES[g][0] for g in given.tolist()]
        last_names = [vocab.ZH_SURNAMES[s][0] for s in surname.tolist()]
        locals_ = [
            f"{vocab.ZH_SURNAMES[s][1]}{vocab.ZH_GIVEN_NAMES[g][1]}"
            for s, g in zip(surname.tolist(), given.tolist(), strict=True)
        ]
        providers = vocab.ZH_MAIL_PROVIDERS
        mobile_prefix = _pick(vocab.ZH_MOBILE_PREFIXES, rng.integers(0, len(vocab.ZH_MOBILE_PREFIXES), n))
        phones = [f"+86{p}{d}" for p, d in zip(mobile_prefix, _digits(rng, n, 8), strict=True)]
        titles = vocab.ZH_TITLES
        sources, source_weights = zip(*vocab.ZH_SOURCES, strict=True)
    else:
        first = rng.integers(0, len(vocab.EN_FIRST_NAMES), n)
        last = rng.integers(0, len(vocab.EN_LAST_NAMES), n)
        first_names = _pick(vocab.EN_FIRST_NAMES, first)
        last_names = _pick(vocab.EN_LAST_NAMES, last)
        locals_ = [f"{f}.{la}".lower() for f, la in zip(first_names, last_names, strict=True)]
        providers = vocab.EN_MAIL_PROVIDERS
        area = np.asarray([c.area_code for c in cities])[own_city]
        phones = [f"+1{a}55501{d}" for a, d in zip(area.tolist(), _digits(rng, n, 2), strict=True)]
        titles = vocab.EN_TITLES
        sources, source_weights = zip(*vocab.EN_SOURCES, strict=True)
    # Unique by construction: the contact's number is part of the address.
    work_mail = (account >= 0) & (rng.random(n) < 0.85)
    domain = np.asarray(providers, dtype=object)[rng.integers(0, len(providers), n)]
    domain[work_mail] = np.asarray(accounts.domain, dtype=object)[account[work_mail]]
    emails = [f"{lp}{i + 1}@{d}" for i, (lp, d) in enumerate(zip(locals_, domain.tolist(), strict=True))]
    phones = np.where(rng.random(n) < 0.85, np.asarray(phones, dtype=object), "").tolist()
    title = np.where(account >= 0, np.asarray(titles, dtype=object)[rng.integers(0, len(titles), n)], "").tolist()
    source = np.asarray(sources)[_weighted(rng, source_weights, n)]
    tier_index = _weighted(rng, TIER_SHARES, n)
    birthday = np.where(rng.random(n) < 0.6, np.rint(rng.uniform(22, 70, n) * 365.25), -1).astype(np.int64)

    # The latent value score (module docstring).
    employees = np.where(account >= 0, accounts.employees[np.maximum(account, 0)], 1)
    size = np.where(account >= 0, (np.log10(employees) - 1.6) / 0.7, -0.8)
    industry_names = [i.zh if profile.chinese else i.en for i in vocab.INDUSTRIES]
    effect_by_name = {name: i.value_effect for name, i in zip(industry_names, vocab.INDUSTRIES, strict=True)}
    account_effect = np.asarray([effect_by_name[i] for i in accounts.industry])
    industry_effect = np.where(account >= 0, account_effect[np.maximum(account, 0)], 0.0)
    value_score = 0.45 * size + industry_effect + np.asarray(TIER_EFFECTS)[tier_index] + rng.normal(0, 0.35, n)
    value_level = 1 + np.searchsorted(np.quantile(value_score, [0.2, 0.4, 0.6, 0.8]), value_score, side="right")
    engagement = rng.normal(0, 1, n)
    email_consent = rng.random(n) < _sigmoid(0.8 + 0.6 * engagement)
    sms_consent = rng.random(n) < _sigmoid(-0.6 + 0.4 * engagement)

    # Lifecycle: leads and prospects are recent and have not bought; buyers may churn.
    stage_draw = rng.random(n)
    lead = stage_draw < LEAD_SHARE
    prospect = ~lead & (stage_draw < LEAD_SHARE + PROSPECT_SHARE)
    buyer = ~lead & ~prospect
    created = np.where(lead, rng.uniform(0, 180, n), np.where(prospect, rng.uniform(10, 365, n), 0.0))
    created = np.where(buyer, rng.uniform(30, 1460, n), created)
    churn_logit = -2.1 + 1.1 * ~email_consent + 0.9 * (source == "discount") - 0.5 * value_score - 0.7 * engagement
    churned = buyer & (created >= 150) & (rng.random(n) < _sigmoid(churn_logit))
    latest_churn = np.clip(created - 60, 90, 365)
    churn_days_ago = np.where(churned, 90 + (latest_churn - 90) * rng.random(n), 0.0)
    stage = np.where(lead, "lead", np.where(prospect, "prospect", np.where(churned, "churned", "customer")))

    # Orders: a Poisson number over the buyer's window in the last two years, at a rate set by
    # the value score; churners' rate declines to zero over DECLINE_DAYS before they stop.
    orders_from = np.minimum(created, ORDER_WINDOW_DAYS)
    orders_to = churn_days_ago
    window = np.maximum(orders_from - orders_to, 1.0)
    decline = np.where(churned, np.minimum(DECLINE_DAYS, window), 0.0)
    stable = window - decline
    effective_years = (stable + decline / 2) / 365.0
    intensity = np.exp(0.55 * value_score) * effective_years
    n_buyers = max(int(buyer.sum()), 1)
    scale = (ORDERS_PER_BUYER - 1) * n_buyers / max(float(intensity[buyer].sum()), 1e-9)
    n_orders = np.where(buyer, 1 + rng.poisson(scale * intensity), 0)
    stable_share = np.where(churned, stable / (stable + decline / 2), 1.0)
    amount_mu = np.log(profile.base_order_amount) + 0.45 * value_score - AMOUNT_SIGMA**2 / 2

    # Interactions: about two per contact, more for engaged ones, none after a churn.
    interaction_rate = np.exp(0.6 * engagement)
    n_interactions = rng.poisson(INTERACTIONS_PER_CONTACT * interaction_rate / interaction_rate.mean())

    updated = created * rng.random(n)
    return ContactPlan(
        first_name=first_names,
        last_name=last_names,
        email=emails,
        phone=phones,
        title=title,
        account=account,
        owner_slot=np.where(account >= 0, accounts.owner_slot[np.maximum(account, 0)], rng.integers(0, sales_reps, n)),
        lifecycle_stage=stage,
        source=source,
        city=city_names.tolist(),
        birthday_days_ago=birthday,
        email_consent=email_consent,
        sms_consent=sms_consent,
        tier=np.asarray(TIERS)[tier_index],
        created_days_ago=np.round(created, 6),
        updated_days_ago=np.round(updated, 6),
        value_score=value_score,
        value_level=value_level,
        engagement=engagement,
        churned=churned,
        churn_days_ago=np.round(churn_days_ago, 6),
        n_orders=n_orders,
        orders_from_days_ago=np.round(orders_from, 6),
        orders_to_days_ago=np.round(orders_to, 6),
        decline_days=np.round(decline, 6),
        stable_share=np.round(stable_share, 9),
        amount_mu=np.round(amount_mu, 9),
        n_interactions=n_interactions,
        interactions_from_days_ago=np.round(np.minimum(created, ORDER_WINDOW_DAYS), 6),
        interactions_to_days_ago=np.round(churn_days_ago, 6),
    )
