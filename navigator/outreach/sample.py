"""Sample outreach data for load tests and demonstrations: plausible, random, and bulk-inserted."""

import random
import secrets
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, select

from navigator.accounts import services as accounts
from navigator.accounts.models import Membership, Programme, User
from navigator.db import utcnow
from navigator.learning.services import module_topics
from navigator.outreach.models import BAND_COLUMNS, OutreachActivity, OutreachFact, OutreachSite
from navigator.outreach.vocabulary import (
    AGE_BANDS,
    DIGITAL_TASKS,
    GENDERS,
    LANGUAGE_CODES,
    REFERRAL_KINDS,
    SETTINGS,
)

SITE_NAMES = ("Central library", "Eastside community centre", "Harbour clinic",
              "North market hall", "Riverside health post", "School hall", "Youth centre",
              "Mosque community room", "Church hall", "Town hall annex")
CHUNK = 5000
# Sample accounts cannot sign in: this is not an argon2 hash, so every password fails.
NO_PASSWORD = "!sample-account"


def _navigators(s: Session, programme: Programme, count: int) -> list[int]:
    """Ids of `count` sample navigators of the programme, made where missing."""
    emails = [f"sample-navigator-{i}.p{programme.id}@example.invalid" for i in range(count)]
    known = dict(s.exec(select(User.email, User.id).where(User.email.in_(emails))).all())
    missing = [e for e in emails if e not in known]
    if missing:
        s.execute(User.__table__.insert(), [
            {"email": e, "password_hash": NO_PASSWORD, "display_name": f"Sample navigator {i}",
             "certificate_name": "", "locale": "", "is_admin": False, "is_active": True,
             "session_nonce": secrets.token_hex(8), "created_at": utcnow()}
            for i, e in enumerate(emails) if e in missing])
        known = dict(s.exec(select(User.email, User.id).where(User.email.in_(emails))).all())
    ids = [known[e] for e in emails]
    members = set(s.exec(select(Membership.user_id).where(
        Membership.programme_id == programme.id, Membership.role == "navigator")))
    new_members = [uid for uid in ids if uid not in members]
    if new_members:
        s.execute(Membership.__table__.insert(), [{"user_id": uid, "programme_id": programme.id,
                                        "role": "navigator", "created_at": utcnow()}
                                       for uid in new_members])
    return ids


def _sites(s: Session, programme_id: int) -> list[int]:
    existing = list(s.exec(select(OutreachSite.id).where(
        OutreachSite.programme_id == programme_id)))
    if existing:
        return existing
    for name in SITE_NAMES:
        s.add(OutreachSite(programme_id=programme_id, name=name))
    s.flush()
    return list(s.exec(select(OutreachSite.id).where(OutreachSite.programme_id == programme_id)))


def _split(rng: random.Random, total: int, prefix: str, bands) -> dict[str, int]:
    """Spread a total over band columns at random, sometimes leaving some people uncounted."""
    columns = [f"{prefix}_{band}" for band in bands]
    counted = total if rng.random() < 0.8 else rng.randint(0, total)
    weights = [rng.random() + 0.1 for _ in columns]
    shares = [int(counted * w / sum(weights)) for w in weights]
    shares[rng.randrange(len(columns))] += counted - sum(shares)
    return dict(zip(columns, shares, strict=True))


def _facts(rng: random.Random, topics: list[str]) -> list[tuple[str, str, int]]:
    """(kind, key, count) of one session: a language or two, topics, tasks, some referrals."""
    facts = [("language", code, 1) for code in rng.sample(LANGUAGE_CODES, rng.choice((1, 1, 2)))]
    facts += [("topic", t, 1) for t in rng.sample(topics, min(len(topics), rng.randint(0, 3)))]
    facts += [("task", t, 1) for t in rng.sample(list(DIGITAL_TASKS), rng.randint(0, 3))]
    if rng.random() < 0.3:
        facts += [("referral", kind, rng.randint(1, 3))
                  for kind in rng.sample(list(REFERRAL_KINDS), rng.randint(1, 2))]
    return facts


def generate(s: Session, *, programme_name: str, activities: int, navigators: int,
             months: int = 12, seed: int = 1) -> Programme:
    """Add random activities by sample navigators to a programme (made when missing)."""
    rng = random.Random(seed)
    programme = s.exec(select(Programme).where(Programme.name == programme_name)).first()
    if programme is None:
        programme = accounts.create_programme(s, name=programme_name)
    user_ids = _navigators(s, programme, navigators)
    site_ids = _sites(s, programme.id)
    topics = [key for key, _title in module_topics(s, programme.id, "en")] or [
        f"sample-course/module-{n}" for n in range(1, 10)]
    today = utcnow().date()
    # Oldest first, as real logging goes: the date-ordered indexes then grow at one end.
    days = sorted((rng.randrange(months * 30) for _ in range(activities)), reverse=True)
    if s.get_bind().dialect.name == "sqlite":
        # A bigger page cache for this connection keeps the index updates of a bulk load in
        # memory; the default 2 MB makes them go to disk again and again.
        s.exec(text("PRAGMA cache_size = -262144"))
    settings = list(SETTINGS)
    now = utcnow()
    for start in range(0, activities, CHUNK):
        rows, facts = [], []
        for _ in range(min(CHUNK, activities - start)):
            people = max(1, int(rng.expovariate(1 / 9)))
            row = {"submission_key": secrets.token_urlsafe(18), "programme_id": programme.id,
                   "navigator_id": rng.choice(user_ids),
                   "held_on": today - timedelta(days=days[start + len(rows)]),
                   "minutes": rng.choice((30, 45, 60, 60, 90, 120)),
                   "setting": rng.choices(settings, (5, 4, 2, 3, 3, 1))[0],
                   "site_id": rng.choice(site_ids) if rng.random() < 0.9 else None,
                   "people": people, "note": "", "created_at": now, "updated_at": now,
                   **dict.fromkeys(BAND_COLUMNS)}
            if rng.random() < 0.6:
                row.update(_split(rng, people, "age", AGE_BANDS))
            if rng.random() < 0.7:
                row.update(_split(rng, people, "gender", GENDERS))
            rows.append(row)
            facts.append(_facts(rng, topics))
        # Core inserts (the tables, not the classes): plain executemany, no ORM bookkeeping;
        # the new ids are read back by submission key, as RETURNING would go row by row.
        s.execute(OutreachActivity.__table__.insert(), rows)
        by_key = dict(s.exec(select(OutreachActivity.submission_key, OutreachActivity.id).where(
            OutreachActivity.submission_key.in_([row["submission_key"] for row in rows]))).all())
        ids = [by_key[row["submission_key"]] for row in rows]
        s.execute(OutreachFact.__table__.insert(), [
            {"activity_id": aid, "kind": kind, "key": key, "count": count,
             **{c: row[c] for c in ("programme_id", "held_on", "site_id", "setting",
                                    "navigator_id", "people")}}
            for aid, row, items in zip(ids, rows, facts, strict=True)
            for kind, key, count in items])
    return programme
