"""Similar incidents through the database's own full-text search.

SQLite: an FTS5 index (`incident_search`, BM25 ranking) over a plain table of incident texts
(`incident_search_docs`) that triggers on `incidents` keep current. PostgreSQL: a GIN index on
the incidents' `to_tsvector('english', ...)`, ranked by `ts_rank_cd`. Both are created by the
migration `0011_rca`; neither is a mapped table (`UNMAPPED_PREFIX`).

A query is the distinctive words of the incident (its title, description and alerts) joined by
OR, so an incident sharing more and rarer words ranks higher. Scores are mapped to 0..1 with
`x / (x + k)`: comparable between incidents, never 1 for a weak match.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

UNMAPPED_PREFIX = "incident_search"
MAX_TERMS = 24
_WORD = re.compile(r"[a-z][a-z0-9]{2,}")
_STOPWORDS_TEXT = (
    "the and for are but not you all any can had her was one "
    "our out day get has him his how man new now old see two "
    "way who boy did its let put say she too use with from this "
    "that than then them they were what when will your have been into more "
    "some such only over also after before about there their which would could should "
    "while where being other these those very just high low error errors failed failure "
    "failing alert alerts incident issue problem service "
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True)
class Match:
    incident_id: uuid.UUID
    score: float


def terms(*texts: str) -> list[str]:
    """The distinctive words of the texts, lower-case, each once, in order of appearance."""
    seen: dict[str, None] = {}
    for value in texts:
        for word in _WORD.findall(value.lower()):
            if word not in STOPWORDS:
                seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


async def similar_resolved(
    session: AsyncSession,
    organization_id: uuid.UUID,
    words: list[str],
    *,
    exclude: uuid.UUID,
    limit: int,
) -> list[Match]:
    """Resolved incidents of the organization matching any of `words`, best first."""
    if not words:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return await _postgresql(session, organization_id, words, exclude, limit)
    return await _sqlite(session, organization_id, words, exclude, limit)


async def _sqlite(
    session: AsyncSession, org: uuid.UUID, words: list[str], exclude: uuid.UUID, limit: int
) -> list[Match]:
    query = " OR ".join(f'"{w}"' for w in words)  # words are [a-z0-9] only: nothing to escape
    rows = await session.execute(
        text(
            """
            SELECT d.incident_id AS id, -bm25(incident_search) AS rank
            FROM incident_search
            JOIN incident_search_docs AS d ON d.rowid = incident_search.rowid
            JOIN incidents AS i ON i.id = d.incident_id
            WHERE incident_search MATCH :query
              AND d.organization_id = :org AND d.incident_id != :exclude
              AND i.status = 'RESOLVED'
            ORDER BY bm25(incident_search)
            LIMIT :limit
            """
        ),
        {"query": query, "org": org.hex, "exclude": exclude.hex, "limit": limit},
    )
    return [Match(uuid.UUID(str(r.id)), _bounded(float(r.rank), 8.0)) for r in rows]


async def _postgresql(
    session: AsyncSession, org: uuid.UUID, words: list[str], exclude: uuid.UUID, limit: int
) -> list[Match]:
    rows = await session.execute(
        text(
            f"""
            SELECT i.id, ts_rank_cd({DOCUMENT}, q.query) AS rank
            FROM incidents AS i, to_tsquery('english', :query) AS q(query)
            WHERE {DOCUMENT} @@ q.query
              AND i.organization_id = :org AND i.id != :exclude AND i.status = 'RESOLVED'
            ORDER BY rank DESC, i.resolved_at DESC
            LIMIT :limit
            """  # noqa: S608 (DOCUMENT is a constant)
        ),
        {"query": " | ".join(words), "org": org, "exclude": exclude, "limit": limit},
    )
    return [Match(r.id, _bounded(float(r.rank), 0.2)) for r in rows]


def _bounded(x: float, k: float) -> float:
    return round(x / (x + k), 3) if x > 0 else 0.0


DOCUMENT = (
    "to_tsvector('english'::regconfig, coalesce(i.title, '') || ' ' || coalesce(i.description, '')"
    " || ' ' || coalesce(i.root_cause, '') || ' ' || coalesce(i.resolution_note, ''))"
)
"""The indexed expression (the migration's GIN index is on exactly this, without `i.`)."""
