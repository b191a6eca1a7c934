"""Similar incidents through the database's own full-text search.

SQLite: an FTS5 index (`incident_search`, BM25 ranking) over a plain table of incident texts
(`incident_search_docs`) that triggers on `incidents` keep current. PostgreSQL: a GIN index on
the incidents' `to_tsvector('english', ...)`, ranked by `ts_rank_cd`. Both are created by the
migration `0011_rca`; neither is a mapped table (`UNMAPPED_PREFIX`).

A query is the distinctive words of the incident (its title, description and alerts) joined by
OR, so an incident sharing more and rarer words ranks higher. Scores are mapped to 0..1 with
`x / (x + k)`: comparable between incidents, never 1 for a weak match.

The cost of a search grows with the rows its words match, and a word found in tens of thousands
of incidents ("during", "latency") matches them all while adding next to nothing to the ranking.
So the query keeps the most selective words only (`selective`): rarest first, for as long as the
documents they match add up to `POSTINGS_BUDGET`, and never fewer than the rarest one. The
document frequencies come from the index itself: on SQLite an `fts5vocab` table over the FTS5
index (exact, and stemmed by the index's own tokenizer); on PostgreSQL the planner's statistics
of the GIN index expression (`pg_stats.most_common_elems`, kept by ANALYZE/autovacuum: cheap, an
estimate, and without them every word is kept). Whatever the words, at most `CANDIDATES` matching
incidents, the most recent, are ranked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

UNMAPPED_PREFIX = "incident_search"
MAX_TERMS = 24
POSTINGS_BUDGET = 5000
"""The documents the words of a query may match together (see `selective`)."""
CANDIDATES = 2000
"""Matching incidents ranked at most, the most recent (a bound for when even the rarest word
is a common one)."""
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


def selective(words: list[str], documents: Mapping[str, int], budget: int) -> list[str]:
    """The rarest of `words` whose document counts add up to at most `budget` (at least the
    rarest one), in their original order. `documents` has each word's count; a word counted 0
    matches nothing and is left out; a word it lacks is taken for a rare one (count unknown)."""
    counted = sorted(
        (documents.get(w, 1), i, w) for i, w in enumerate(words) if documents.get(w, 1) > 0
    )
    kept: list[tuple[int, str]] = []
    total = 0
    for count, position, word in counted:
        total += count
        if kept and total > budget:
            break
        kept.append((position, word))
    return [w for _, w in sorted(kept)]


async def similar_resolved(
    session: AsyncSession,
    organization_id: uuid.UUID,
    words: list[str],
    *,
    exclude: uuid.UUID,
    limit: int,
) -> list[Match]:
    """Resolved incidents of the organization matching any of the most selective of `words`,
    best first."""
    if not words:
        return []
    words = selective(words, await documents(session, words), POSTINGS_BUDGET)
    if not words:
        return []
    if _dialect(session) == "postgresql":
        return await _postgresql(session, organization_id, words, exclude, limit)
    return await _sqlite(session, organization_id, words, exclude, limit)


async def documents(session: AsyncSession, words: list[str]) -> dict[str, int]:
    """How many incidents (of every organization) hold each word, as the index knows it:
    exact on SQLite; on PostgreSQL an estimate for common words only (see `selective`)."""
    if _dialect(session) == "postgresql":
        return await _postgresql_documents(session, words)
    return await _sqlite_documents(session, words)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


TOKENIZE = "porter unicode61"
"""The tokenizer of the migration's `incident_search` (the probe below must stem alike)."""
_SQLITE_VOCAB = (
    # Per connection (temp), nothing stored: a scratch FTS5 table that stems the query's words
    # with the index's tokenizer, its token list, and the document counts of the index's terms.
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.incident_search_probe "
    f"USING fts5(body, tokenize='{TOKENIZE}')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.incident_search_probe_tokens "
    "USING fts5vocab(temp, incident_search_probe, instance)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.incident_search_vocab "
    "USING fts5vocab(main, incident_search, row)",
)


async def _sqlite_documents(session: AsyncSession, words: list[str]) -> dict[str, int]:
    """How many indexed incidents hold each word (as the index stems it): exact."""
    for statement in _SQLITE_VOCAB:
        await session.execute(text(statement))
    await session.execute(text("DELETE FROM temp.incident_search_probe"))
    # One token per word ([a-z0-9] only), so a token's offset is its word's position.
    await session.execute(
        text("INSERT INTO temp.incident_search_probe(rowid, body) VALUES (1, :body)"),
        {"body": " ".join(words)},
    )
    rows = await session.execute(
        text(
            """
            SELECT p."offset" AS position, coalesce(v.doc, 0) AS documents
            FROM temp.incident_search_probe_tokens AS p
            LEFT JOIN temp.incident_search_vocab AS v ON v.term = p.term
            """
        )
    )
    return {words[r.position]: int(r.documents) for r in rows if r.position < len(words)}


async def _sqlite(
    session: AsyncSession, org: uuid.UUID, words: list[str], exclude: uuid.UUID, limit: int
) -> list[Match]:
    query = " OR ".join(f'"{w}"' for w in words)  # words are [a-z0-9] only: nothing to escape
    # FTS5 yields matches by rowid (newest last) and computes bm25 only for the rows kept.
    rows = await session.execute(
        text(
            """
            SELECT id, rank FROM (
                SELECT d.incident_id AS id, -bm25(incident_search) AS rank
                FROM incident_search
                JOIN incident_search_docs AS d ON d.rowid = incident_search.rowid
                JOIN incidents AS i ON i.id = d.incident_id
                WHERE incident_search MATCH :query
                  AND d.organization_id = :org AND d.incident_id != :exclude
                  AND i.status = 'RESOLVED'
                ORDER BY incident_search.rowid DESC
                LIMIT :candidates
            )
            ORDER BY rank DESC
            LIMIT :limit
            """
        ),
        {
            "query": query,
            "org": org.hex,
            "exclude": exclude.hex,
            "candidates": CANDIDATES,
            "limit": limit,
        },
    )
    return [Match(uuid.UUID(str(r.id)), _bounded(float(r.rank), 8.0)) for r in rows]


async def _postgresql_documents(session: AsyncSession, words: list[str]) -> dict[str, int]:
    """Each word's estimated incidents from the planner's statistics of the GIN index: the
    most common lexemes' frequencies times the rows. A word without a lexeme (a stopword of the
    'english' configuration) matches nothing: 0; one not among the most common is left out
    (rare, or no statistics yet)."""
    rows = await session.execute(
        text(
            """
            WITH common AS MATERIALIZED (
                SELECT e.lexeme, e.frequency
                FROM pg_stats AS st,
                     unnest(st.most_common_elems::text::text[], st.most_common_elem_freqs)
                         AS e(lexeme, frequency)
                WHERE st.schemaname = current_schema() AND st.tablename = 'ix_incidents_search'
            ), words AS (
                SELECT w.word,
                       tsvector_to_array(to_tsvector('english'::regconfig, w.word)) AS lexemes
                FROM unnest(:words) AS w(word)
            )
            SELECT w.word, cardinality(w.lexemes) AS lexemes,
                   (SELECT max(c.frequency) FROM common AS c WHERE c.lexeme = ANY(w.lexemes))
                   * (SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'incidents'::regclass)
                       AS documents
            FROM words AS w
            """
        ).bindparams(bindparam("words", type_=ARRAY(Text))),
        {"words": words},
    )
    found: dict[str, int] = {}
    for r in rows:
        if not r.lexemes:
            found[r.word] = 0
        elif r.documents is not None:
            found[r.word] = max(1, round(float(r.documents)))
    return found


async def _postgresql(
    session: AsyncSession, org: uuid.UUID, words: list[str], exclude: uuid.UUID, limit: int
) -> list[Match]:
    # The GIN index finds the matches; only the `CANDIDATES` most recent are ranked (ranking
    # computes each one's tsvector).
    rows = await session.execute(
        text(
            f"""
            SELECT i.id, ts_rank_cd({DOCUMENT}, q.query) AS rank
            FROM (
                SELECT i.id
                FROM incidents AS i, to_tsquery('english', :query) AS q(query)
                WHERE {DOCUMENT} @@ q.query
                  AND i.organization_id = :org AND i.id != :exclude AND i.status = 'RESOLVED'
                ORDER BY i.resolved_at DESC
                LIMIT :candidates
            ) AS c
            JOIN incidents AS i ON i.id = c.id, to_tsquery('english', :query) AS q(query)
            ORDER BY rank DESC, i.resolved_at DESC
            LIMIT :limit
            """  # noqa: S608 (DOCUMENT is a constant)
        ),
        {
            "query": " | ".join(words),
            "org": org,
            "exclude": exclude,
            "candidates": CANDIDATES,
            "limit": limit,
        },
    )
    return [Match(r.id, _bounded(float(r.rank), 0.2)) for r in rows]


def _bounded(x: float, k: float) -> float:
    return round(x / (x + k), 3) if x > 0 else 0.0


DOCUMENT = (
    "to_tsvector('english'::regconfig, coalesce(i.title, '') || ' ' || coalesce(i.description, '')"
    " || ' ' || coalesce(i.root_cause, '') || ' ' || coalesce(i.resolution_note, ''))"
)
"""The indexed expression (the migration's GIN index is on exactly this, without `i.`)."""
