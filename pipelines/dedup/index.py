"""Layered news deduplication: a streaming, persistent index of articles. No Scrapy here.

Each added article gets exactly one verdict, checked in this order (first hit wins):

1. ``url``     — its URL key (``canonical.url_key``: same-site rel=canonical, else the cleaned
                 URL) was seen before: a re-crawl, an AMP/mobile/tracking variant;
2. ``exact``   — same normalised text (NFKC, case-folded, punctuation and spacing ignored), or the
                 same text framed by a different headline or boilerplate (``dedup_rules``);
3. ``near``    — estimated Jaccard of word 5-shingles >= ``NEAR_JACCARD`` (MinHash LSH);
4. ``rewrite`` — spun or machine-translated copy: few shared 5-shingles, but the same sentences
                 in other words, names, numbers (``RewriteEvidence``); candidates from an LSH on
                 content-word sets, never all pairs;
5. ``unique``  — none of the above.

``of`` names the canonical document: the first seen of its group (a copy of a copy points to
the original). Every article also gets a ``story``: a duplicate shares its original's; a unique
article joins the story whose names and time span it matches (``dedup_story``) or starts one,
labelled with its own id. Stories group, they never drop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

import numpy as np

from pipelines.dedup import rules
from pipelines.dedup import story as stories
from pipelines.dedup.bandmap import BandMap
from pipelines.dedup.canonical import url_key
from pipelines.dedup.lsh import GROW_ROWS, NEAR, WORDS, MinHashMatrix, grown
from pipelines.dedup.signatures import NUM_PERM, Signatures, array, h32
from pipelines.dedup.store import Store, StoryRow

Kind = Literal["unique", "url", "exact", "near", "rewrite", "revision"]
REWRITE_CHECKS = 8  # candidates checked in full for a rewrite, best content-word Jaccard first
STORY_CHECKS = 10  # candidate stories scored, most shared names first
EXACT_CHECKS = 3  # near candidates checked for a framed exact copy
UNDATED = -(10**7)  # story_terms day of an article without a date
CANDIDATE_LIMIT = 2000  # documents per LSH query (a flood of identical bands is cut off)
# the fewest equal content-word MinHash values of a rewrite candidate (estimate >= the rule's)
REWRITE_LEAST = next(n for n in range(NUM_PERM + 1) if n / NUM_PERM >= rules.REWRITE_CANDIDATE)


@dataclass(frozen=True)
class DedupVerdict:
    kind: Kind
    of: str | None  # id of the canonical document; None when unique
    score: float  # 1.0 for url/exact; shingle Jaccard (near); aligned sentences (rewrite)
    story: str  # story label: the id of the story's first article (stories hold one language)
    cross_story: str | None = None  # the story across languages, as known when added; None: story


@dataclass(frozen=True)
class _Match:
    kind: Kind
    rowid: int | None
    score: float


class DedupIndex:
    """Streaming dedup index. ``path=None`` keeps it in memory; a path persists it (SQLite).

    In memory besides the SQLite file: the shingle MinHash matrix, a sketch of the content-word
    one (its low bytes: the rewrite layer reads the full values of the few candidates the
    sketch cannot rule out from the file), the LSH band tables over both (``BandMap``) and
    three columns of every document (language, canonical document, story), ~1.2 KB a document;
    all rebuilt from the file on open."""

    def __init__(self, path: str | os.PathLike[str] | None = None, commit_every: int = 1000):
        self.store = Store(path, commit_every=commit_every)
        self.shingles = MinHashMatrix(NUM_PERM)
        self.words = MinHashMatrix(NUM_PERM, np.uint8)  # a sketch: full values are in the file
        self.near_bands = BandMap(NEAR, self.shingles)
        self.word_bands = BandMap(WORDS, self.words)
        self.columns = _Columns()
        for rows in self.store.minhash_chunks():
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            shingles = np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4")
            words = np.frombuffer(b"".join(r[2] for r in rows), dtype="<u4")
            shingles, words = shingles.reshape(-1, NUM_PERM), words.reshape(-1, NUM_PERM)
            self.shingles.put_many(ids, shingles)
            self.words.put_many(ids, words)
            self.near_bands.add_many(ids, shingles)
            self.word_bands.add_many(ids, words)
            for rowid, _, _, lang, of_doc, story in rows:
                self.columns.put(rowid, bytes(lang), rowid if of_doc is None else of_doc, story)

    def __enter__(self) -> DedupIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def flush(self) -> None:
        """Commit what was added so far (``close`` does too)."""
        self.store.commit()

    def close(self) -> None:
        self.store.close()

    def __len__(self) -> int:
        return self.shingles.count

    def add(
        self,
        doc_id: str,
        url: str,
        canonical_url: str | None,
        published: date | datetime | str | None,
        sig: Signatures,
    ) -> DedupVerdict:
        """Classify one article and remember it. Adding a known ``doc_id`` again is a no-op."""
        known = self.store.doc_by_id(doc_id)
        if known is not None:
            cross = self.store.cross_label(int(known["story"]))
            return _verdict(known["kind"], known["of_id"], known["score"], known["story_label"],
                            cross)  # fmt: skip
        day = _day(published)
        keys = sorted({url_key(url, canonical_url), url_key(url)} if canonical_url else
                      {url_key(url)})  # fmt: skip
        shingles, words = array(sig.shingles), array(sig.words)
        near_keys = NEAR.key_array(shingles[None, :])[0]
        word_keys = WORDS.key_array(words[None, :])[0]
        self.store.begin()
        try:
            rowid = self.store.next_rowid()
            match = self._classify(keys, sig, near_keys, word_keys)
            root = None if match.rowid is None else self.columns.root(match.rowid)
            story_id = self._story(doc_id, day, sig, root)
            if root is None:
                self._cross(story_id, day, sig)
            self.store.insert_doc(rowid, _row(doc_id, url, day, match, root, story_id), sig)
            self.store.add_urls(keys, rowid)
        except BaseException:
            self.store.undo()
            raise
        self.store.done()
        self.shingles.put(rowid, shingles)
        self.words.put(rowid, words)
        self.near_bands.add(rowid, near_keys)
        self.word_bands.add(rowid, word_keys)
        self.columns.put(rowid, sig.lang, rowid if root is None else root, story_id)
        of = None if root is None else self.store.doc_ids([root])[root]
        return _verdict(match.kind, of, match.score, self.store.story(story_id)["label"],
                        self.store.cross_label(story_id))  # fmt: skip

    def _classify(self, keys: list[str], sig: Signatures, near_keys: np.ndarray,
                  word_keys: np.ndarray) -> _Match:  # fmt: skip
        same_url = self.store.doc_by_url(keys)
        if same_url is not None:
            return _Match("url", same_url, 1.0)
        same_text = self.store.doc_by_digest(sig.digest)
        if same_text is not None and self._same_language(same_text, sig):
            return _Match("exact", same_text, 1.0)
        shingles, words = array(sig.shingles), array(sig.words)
        near = self.near_bands.candidates(shingles, near_keys, CANDIDATE_LIMIT)
        found = self._near(sig, near)
        if found.kind != "unique" and self._same_language(found.rowid, sig):
            return found
        found = _Match("unique", None, found.score if found.kind == "unique" else 0.0)
        rows, scores = self.word_bands.strong_candidates(
            words, word_keys, CANDIDATE_LIMIT, REWRITE_LEAST, self.store.word_minhashes
        )
        rewrite = self._rewrite(sig, *self._with(words, rows, scores, near))
        if rewrite is not None and self._same_language(rewrite.rowid, sig):
            return rewrite
        return found

    def _same_language(self, rowid: int | None, sig: Signatures) -> bool:
        """Texts of two languages are never duplicates (their hashes are salted apart already:
        this makes it a rule, not a likelihood)."""
        return rowid is not None and self.columns.lang(rowid) == sig.lang

    def _near(self, sig: Signatures, candidates: list[int]) -> _Match:
        if not candidates:
            return _Match("unique", None, 0.0)
        scores = self.shingles.estimates(array(sig.shingles), candidates)
        order = np.argsort(-scores, kind="stable")
        for i in order[:EXACT_CHECKS]:
            if scores[i] < rules.EXACT_CHECK_JACCARD:
                break
            if rules.framed_copy(sig, self.store.sig(candidates[i])):
                return _Match("exact", candidates[i], 1.0)
        best = int(order[0])
        if scores[best] >= rules.NEAR_JACCARD:
            return _Match("near", candidates[best], float(scores[best]))
        return _Match("unique", None, float(scores[best]))

    def _with(self, words: np.ndarray, rows: np.ndarray, scores: np.ndarray, near: list[int]
              ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The strong word candidates (ascending ``rows`` with their ``scores``) and the near
        candidates whose content words pass ``REWRITE_LEAST`` too, in ascending row order, with
        the content-word estimates of all (weaker ones are never checked for a rewrite)."""
        if not near:
            return rows, scores
        extra = np.asarray(near, dtype=np.int64)  # distinct rows (``BandMap.candidates``)
        if len(rows):
            at = np.minimum(np.searchsorted(rows, extra), len(rows) - 1)
            extra = extra[rows[at] != extra]  # not among the word candidates
        extra, _, counts = self.words.at_least(words, extra, REWRITE_LEAST,
                                               self.store.word_minhashes)  # fmt: skip
        if not len(extra):
            return rows, scores
        merged = np.concatenate((rows, extra))
        order = np.argsort(merged, kind="stable")
        return merged[order], np.concatenate((scores, counts / NUM_PERM))[order]

    def _rewrite(self, sig: Signatures, candidates: np.ndarray, scores: np.ndarray
                 ) -> _Match | None:  # fmt: skip
        """The best rewrite among ``candidates`` (ascending rows; ``scores``: estimated Jaccard
        of their content words with the article's)."""
        if not len(candidates):
            return None
        order = np.argsort(-scores, kind="stable")[:REWRITE_CHECKS]
        best: _Match | None = None
        for i in order:
            if scores[i] < rules.REWRITE_CANDIDATE:
                break
            rowid = int(candidates[i])
            evidence = rules.rewrite_evidence(sig, self.store.sig(rowid))
            if evidence.is_rewrite and (best is None or evidence.aligned > best.score):
                best = _Match("rewrite", rowid, evidence.aligned)
        return best

    def _story(self, doc_id: str, day: float | None, sig: Signatures, root: int | None) -> int:
        if root is not None:
            story_id = self.columns.story(root)
            self.store.count_story(story_id)
            return story_id
        profile = stories.doc_profile(sig)
        lang = sig.lang.decode("ascii")
        terms = [_in_language(int(k), lang) for k in profile.top(stories.INDEX_TERMS)]
        best = self._best_story(profile, terms, day, lang)
        if best is None:
            story_id = self.store.new_story(doc_id, day, profile.to_bytes(), lang)
        else:
            story_id = best
            row = self.store.story(story_id)
            start, end = _span(row["start"], row["end"], day)
            merged = stories.merged(_profile(row), profile)
            self.store.update_story(story_id, start, end, row["n"] + 1, merged.to_bytes())
        term_day = UNDATED if day is None else int(day)
        self.store.add_story_terms(terms, term_day, story_id)
        return story_id

    def _cross(self, story_id: int, day: float | None, sig: Signatures) -> None:
        """Add a unique article's language-neutral keys to its story; link the story to the
        stories of other languages the article matches (``story.cross_match``)."""
        row = self.store.story(story_id)
        self.store.set_story_cross(story_id, stories.cross_merged(row["cross"], sig.cross))
        terms = stories.cross_top(sig.cross)
        term_day = UNDATED if day is None else int(day)
        gap = int(stories.MAX_GAP_DAYS) + 1
        lo, hi = (None, None) if day is None else (int(day) - gap, int(day) + gap)
        mine = self.store.cross_label(story_id)
        for other in self.store.cross_candidates(terms, lo, hi)[:STORY_CHECKS]:
            found = self.store.story(other)
            if found["lang"] == row["lang"] or not stories.in_time(day, found["start"],
                                                                   found["end"]):  # fmt: skip
                continue
            theirs = self.store.cross_label(other)
            if theirs != mine and stories.cross_match(sig.cross, found["cross"]).ok:
                first, second = sorted((mine, theirs), key=self._label_order)
                self.store.join_cross(second, first)
                mine = first
        self.store.add_cross_terms(terms, term_day, story_id)

    def cross_stories(self) -> dict[str, str]:
        """Every story's story across languages (by label), as linked so far: an article's
        ``cross_story`` is what was known when it was added; a later article may link more."""
        rows = self.store.db.execute("SELECT label, COALESCE(cross_label, label) FROM stories")
        return {str(label): str(cross) for label, cross in rows}

    def _label_order(self, label: str) -> int:
        """Stories across languages are labelled by their first story."""
        row = self.store.db.execute("SELECT id FROM stories WHERE label = ?", (label,)).fetchone()
        return int(row[0])

    def _best_story(self, profile: stories.Profile, terms: list[int],
                    day: float | None, lang: str) -> int | None:  # fmt: skip
        gap = int(stories.MAX_GAP_DAYS) + 1
        lo, hi = (None, None) if day is None else (int(day) - gap, int(day) + gap)
        best: tuple[float, int] | None = None
        for story_id in self.store.story_candidates(terms, lo, hi)[:STORY_CHECKS]:
            row = self.store.story(story_id)
            if row.lang != lang or not stories.in_time(day, row.start, row.end):
                continue
            cosine = stories.matches(profile, _profile(row))
            if cosine is not None and (best is None or cosine > best[0]):
                best = (cosine, story_id)
        return None if best is None else best[1]


class _Columns:
    """Language, canonical document (itself for an original) and story of every document row:
    what classifying a new article asks of its candidates, without reading their rows."""

    def __init__(self) -> None:
        self.langs: dict[bytes, int] = {}
        self.names: list[bytes] = []
        self.data = np.zeros((1024, 3), dtype=np.int64)  # lang code, root, story

    def put(self, rowid: int, lang: bytes, root: int, story: int) -> None:
        if rowid >= len(self.data):
            self.data.resize((grown(len(self.data), rowid + 1, GROW_ROWS), 3), refcheck=False)
        code = self.langs.get(lang)
        if code is None:
            code = self.langs[lang] = len(self.names)
            self.names.append(lang)
        self.data[rowid] = (code, root, story)

    def lang(self, rowid: int) -> bytes:
        return self.names[int(self.data[rowid, 0])]

    def root(self, rowid: int) -> int:
        return int(self.data[rowid, 1])

    def story(self, rowid: int) -> int:
        return int(self.data[rowid, 2])


def _profile(row: StoryRow) -> stories.Profile:
    """A story's profile, parsed once per change (kept on the cached row)."""
    if row.parsed is None:
        row.parsed = stories.Profile.from_bytes(row.profile)
    parsed: stories.Profile = row.parsed
    return parsed


def _verdict(kind: str, of: str | None, score: float, story: str, cross: str) -> DedupVerdict:
    assert kind in ("unique", "url", "exact", "near", "rewrite")
    return DedupVerdict(kind, of, float(score), story, cross)  # type: ignore[arg-type]


def _in_language(term: int, lang: str) -> int:
    """A story term of ``lang``: stories are looked up among those of the article's language
    only (the same name in two languages is two terms; "" keeps the term as it is)."""
    if not lang:
        return term
    return (term * 0x9E3779B1 + h32(lang)) & 0xFFFFFFFF


def _row(doc_id: str, url: str, day: float | None, match: _Match, root: int | None,
         story_id: int) -> dict[str, object]:  # fmt: skip
    return {
        "doc_id": doc_id,
        "url": url,
        "day": day,
        "kind": match.kind,
        "of_doc": root,
        "score": match.score,
        "story": story_id,
    }


def _span(start: float | None, end: float | None, day: float | None) -> tuple[float | None, ...]:
    if day is None:
        return start, end
    if start is None or end is None:
        return day, day
    return min(start, day), max(end, day)


def _day(published: date | datetime | str | None) -> float | None:
    """Days since 1970-01-01 UTC (naive datetimes are taken as UTC)."""
    if published is None or published == "":
        return None
    if isinstance(published, str):
        published = datetime.fromisoformat(published.replace("Z", "+00:00"))
    if not isinstance(published, datetime):
        published = datetime(published.year, published.month, published.day)
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return published.timestamp() / 86400.0
