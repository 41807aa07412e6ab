"""The index's structured data as arrays: read once per segment, shared by every searcher.

Whoosh segments never change once written (only their deletion lists grow), so what a segment
holds is decoded once per process, from the `facts` column (public API:
`reader.column_reader`), into numpy arrays: one row per document for single values, and
(document, value) pairs for lists (conditions, modalities, languages, offices). Postings of the
text terms a query uses are read the same way, once per segment and term, through the public
matcher API, and kept in a bounded cache. The engine then answers with array operations.

Reading a term through the matcher costs about 1 s per million postings, once per process: so
the indexer also writes every term's postings of a new segment beside it (`write_postings`), in
arrays a searcher maps instead of reading (`np.load(mmap_mode="r")`): a first search of a term
costs a slice, and every worker shares the pages through the page cache.
"""

import contextlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.scoring import bm25

from directory import atomic
from directory.vocabulary import SETTINGS

SETTING_CODES = {setting: code for code, setting in enumerate(SETTINGS)}
#: The code of a setting nobody stated (an unclaimed listing): no setting filter lists it, and
#: the setting facet does not count it.
UNSTATED = len(SETTINGS)
#: A therapist's gender as they chose to show it (0: not shown).
GENDER_CODES = {"": 0, "woman": 1, "man": 2, "nonbinary": 3}
GENDER_NAMES = tuple(GENDER_CODES)
SETTING_NAMES = tuple(SETTING_CODES)
#: Postings kept in memory per process (about 16 bytes each), least recently used dropped first.
POSTINGS_BUDGET = 3_000_000
PERSISTED_SUFFIX = ".facts.npz"
#: A segment's postings: the terms table (written last: the others are complete when it is
#: there), and every posting's document and weight code, all terms concatenated, mapped.
POSTINGS_SUFFIXES = (".postings.npz", ".postings-doc.npy", ".postings-code.npy")
#: The text fields whose lengths (in tokens, as Whoosh stores them) BM25 reads, per document.
LENGTH_FIELDS = ("name", "headline", "bio", "condition_text", "modality_text")


class Codes:
    """Stable small integers for strings (tag slugs, states, languages), shared by segments."""

    def __init__(self):
        self._codes: dict[str, int] = {}
        self._names: list[str] = []
        self._lock = threading.Lock()

    def code(self, name: str) -> int:
        found = self._codes.get(name)
        if found is None:
            with self._lock:
                found = self._codes.get(name)
                if found is None:
                    found = self._codes[name] = len(self._names)
                    self._names.append(name)
        return found

    def get(self, name: str) -> int:
        """The code of a known name, else -1 (matches nothing)."""
        return self._codes.get(name, -1)

    def name(self, code: int) -> str:
        return self._names[code]

    def matching(self, name: str) -> list[int]:
        """The codes of every spelling of `name`, whatever its capitals ("spanish", "Spanish")."""
        wanted = name.casefold()
        return [code for code, known in enumerate(list(self._names)) if known.casefold() == wanted]

    def __len__(self) -> int:
        return len(self._names)


CONDITIONS, MODALITIES, STATES, LANGUAGES = Codes(), Codes(), Codes(), Codes()
SPECIALTIES = Codes()


_NOBODY = np.zeros(0, dtype=np.int32)


def packed(mask: np.ndarray) -> np.ndarray:
    """A boolean per document as a bitset of 64-bit words (the last one padded with zeros)."""
    bits = np.packbits(mask)
    return np.pad(bits, (0, -len(bits) % 8)).view(np.uint64)


class Pairs:
    """A multi-valued attribute: (document, value code) pairs, and per code a bitset of the
    documents holding it (a row of one matrix of 64-bit words), so the facet over any set of
    documents is one popcount of the matrix, whatever the number of codes."""

    def __init__(self, doc: np.ndarray, code: np.ndarray, size: int):
        self.doc, self.code, self.size = doc, code, size
        order = np.argsort(code, kind="stable")
        codes, starts = np.unique(code[order], return_index=True)
        by_code = doc[order]
        groups = np.split(by_code, starts[1:]) if len(codes) else []
        #: Per code, the documents holding it (a view of one array).
        self._holders = {int(value): docs for value, docs in zip(codes, groups, strict=True)}
        self._codes = codes.astype(np.int64)
        self._matrix = np.zeros((len(codes), -(-size // 64)), dtype=np.uint64)
        for row, docs in enumerate(groups):
            mask = np.zeros(size, dtype=bool)
            mask[docs] = True
            self._matrix[row] = packed(mask)
        self._bits = {int(value): self._matrix[row] for row, value in enumerate(codes)}
        #: The words (of 64 documents) where some document holds a value, and the matrix's
        #: columns of them: a count reads only these (documents holding nothing, such as
        #: unclaimed listings, take whole words of zeros).
        self._words = np.flatnonzero(self._matrix.any(axis=0))
        self._held = self._matrix[:, self._words]

    def having(self, code: int) -> np.ndarray:
        """A boolean per document: holds this value."""
        bits = self._bits.get(code)
        if bits is None:
            return np.zeros(self.size, dtype=bool)
        return np.unpackbits(bits.view(np.uint8), count=self.size).view(bool)

    def holders(self, code: int) -> np.ndarray:
        """The documents holding this value: what a need scores costs its holders, not the
        segment's size."""
        return self._holders.get(code, _NOBODY)

    def count(self, chosen: np.ndarray, size: int) -> np.ndarray:
        """How many documents of a set (its `packed` bitset) hold each code (index = code)."""
        counts = np.zeros(size, dtype=np.int64)
        if len(self._codes):
            counts[self._codes] = np.bitwise_count(self._held & chosen[self._words]).sum(axis=1)
        return counts


class Segment:
    """One segment's facts as arrays (document numbers are the segment's own).

    Decoding the `facts` column costs about 1 s per 40k documents, so the arrays are also kept
    beside the segment's files (`<segment id>.facts.npz`, written once, atomically) and a new
    process loads them instead. Codes are process-local: the file keeps names, remapped here.
    """

    PAIRS = (("conditions", CONDITIONS), ("modalities", MODALITIES), ("languages", LANGUAGES))

    def __init__(self, reader, key: str):
        path = _persisted_path(reader, key)
        stored = _load(path) if path is not None else None
        if stored is None:
            stored = _decode(reader)
            if path is not None:
                _save(path, stored)
        self.size = int(stored["size"])
        for name in ("pid", "setting", "tenant", "accepting", "in_home", "hsa_fsa", "referrals",
                     "price_min", "price_max", "gender", "listed", "written",
                     "claimed"):  # fmt: skip
            setattr(self, name, stored[name])
        for name, codes in self.PAIRS:
            local = _remap(stored[f"{name}_names"], codes)
            pairs = Pairs(stored[f"{name}_doc"], local[stored[f"{name}_code"]], self.size)
            setattr(self, name, pairs)
        #: Verified specialties, a row each: document, kind, last day verified (proleptic
        #: ordinal): an expiry lapses the match without reindexing.
        self.specialty_doc = stored["specialty_doc"]
        self.specialty_code = _remap(stored["specialty_names"], SPECIALTIES)[
            stored["specialty_code"]
        ]
        self.specialty_until = stored["specialty_until"]
        self.office_doc = stored["office_doc"]
        self.office_id = stored["office_id"]
        self.office_lat = stored["office_lat"]
        self.office_lon = stored["office_lon"]
        #: Each office's latitude in radians and its cosine: the distance's per-office terms,
        #: computed once (a search through a dense place computes the rest for 100,000s).
        self.office_phi = np.radians(self.office_lat)
        self.office_cos_phi = np.cos(self.office_phi)
        self.office_state = _remap(stored["state_names"], STATES)[stored["office_state"]]
        #: Last day (proleptic ordinal) the office may be listed / shows the verified badge.
        self.office_listed_until = stored["office_listed_until"]
        self.office_badge_until = stored["office_badge_until"]
        #: Offices by latitude: a radius search reads one slice of it.
        self.office_by_lat = np.argsort(self.office_lat, kind="stable").astype(np.int32)
        self.office_lat_sorted = self.office_lat[self.office_by_lat]
        self.office_lon_by_lat = self.office_lon[self.office_by_lat]
        #: Per text field, each document's length: a term's postings take theirs from here,
        #: so reading a term costs its postings, never a length look-up per posting.
        self.lengths = {name: stored[f"length_{name}"] for name in LENGTH_FIELDS}
        #: The postings the indexer wrote beside the segment, once found (else the matcher).
        self.stored_postings: StoredPostings | None = None
        #: Documents that add to some facet count besides the totals. The others (no setting
        #: stated, no tag, language, specialty, gender shown, yes/no fact or price: an
        #: unclaimed listing) count in every facet as nothing, so counting skips them.
        self.faceted = (self.setting != UNSTATED) | (self.gender != 0) | (self.price_min >= 0)
        for name in ("accepting", "in_home", "hsa_fsa", "referrals"):
            self.faceted |= getattr(self, name)
        for name, _codes in self.PAIRS:
            self.faceted[getattr(self, name).doc] = True
        self.faceted[self.specialty_doc] = True

    def holding(self, code: int, today: int) -> np.ndarray:
        """A boolean per document: holds this specialty, verified and current today."""
        mask = np.zeros(self.size, dtype=bool)
        rows = (self.specialty_code == code) & (self.specialty_until >= today)
        mask[self.specialty_doc[rows]] = True
        return mask

    def specialty_counts(self, docs_mask: np.ndarray, today: int, size: int) -> np.ndarray:
        """How many documents of the mask hold each specialty, verified and current today."""
        rows = (self.specialty_until >= today) & docs_mask[self.specialty_doc]
        return np.bincount(self.specialty_code[rows], minlength=size)

    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


def _decode(reader) -> dict[str, np.ndarray]:
    size = reader.doc_count_all()
    column = reader.column_reader("facts", translate=False)
    # One JSON array for the segment: a single parse, then a pass per attribute.
    parsed = json.loads(b"[" + b",".join(column[doc] or b"null" for doc in range(size)) + b"]")
    rows = [f if f is not None else _BLANK for f in parsed]

    def ints(key, dtype, convert=int):
        return np.fromiter((convert(f[key]) for f in rows), dtype, size)

    stored = {
        "size": np.array(size),
        #: Documents we wrote (any other is treated as deleted).
        "written": np.fromiter((f is not None for f in parsed), bool, size),
        "pid": ints("pid", np.int64),
        "setting": ints("setting", np.int8, lambda s: SETTING_CODES.get(s, UNSTATED)),
        #: False: an unclaimed listing from public records.
        "claimed": ints("claimed", bool, bool),
        "tenant": ints("tenant", np.int64),
        "accepting": ints("accepting", bool, bool),
        "in_home": ints("in_home", bool, bool),
        "hsa_fsa": ints("hsa_fsa", bool, bool),
        "referrals": ints("referrals", bool, bool),
        "price_min": ints("price_min", np.int32, _price),
        "price_max": ints("price_max", np.int32, _price),
        "gender": ints("gender", np.int8, lambda g: GENDER_CODES.get(g, 0)),
        #: Conditions + modalities listed (a long list is a less focused practice).
        "listed": np.fromiter(
            (len(f["conditions"]) + len(f["modalities"]) for f in rows), np.int32, size
        ),
    }
    for name, _codes in Segment.PAIRS:
        values = [value for f in rows for value in f[name]]
        names = sorted(set(values))
        index = {value: i for i, value in enumerate(names)}
        stored[f"{name}_names"] = np.array(names, dtype=str)
        stored[f"{name}_doc"] = np.fromiter(
            (doc for doc, f in enumerate(rows) for _ in f[name]), np.int32, len(values)
        )
        stored[f"{name}_code"] = np.fromiter((index[v] for v in values), np.int32, len(values))
    held = [(doc, kind, until) for doc, f in enumerate(rows) for kind, until in f["specialties"]]
    kinds = sorted({kind for _doc, kind, _until in held})
    index = {name: i for i, name in enumerate(kinds)}
    stored.update(
        specialty_names=np.array(kinds, dtype=str),
        specialty_doc=np.array([h[0] for h in held], dtype=np.int32),
        specialty_code=np.array([index[h[1]] for h in held], dtype=np.int32),
        specialty_until=np.array([h[2] for h in held], dtype=np.int32),
    )
    # Offices, grouped by document in office-id order (as the profile lists them).
    offices = [(doc, *office) for doc, f in enumerate(rows) for office in f["offices"]]
    doc, office_id, lat, lon, state, listed_until, badge_until = (
        zip(*offices, strict=True) if offices else ((),) * 7
    )
    states = sorted(set(state))
    index = {name: i for i, name in enumerate(states)}
    stored.update(
        state_names=np.array(states, dtype=str),
        office_doc=np.array(doc, dtype=np.int32),
        office_id=np.array(office_id, dtype=np.int64),
        office_lat=np.array(lat, dtype=np.float64),
        office_lon=np.array(lon, dtype=np.float64),
        office_state=np.array([index[s] for s in state], dtype=np.int32),
        office_listed_until=np.array(listed_until, dtype=np.int32),
        office_badge_until=np.array(badge_until, dtype=np.int32),
    )
    for name in LENGTH_FIELDS:
        stored[f"length_{name}"] = np.fromiter(
            (reader.doc_field_length(doc, name) or 0 for doc in range(size)), np.uint32, size
        )
    return stored


def _remap(names: np.ndarray, codes: Codes) -> np.ndarray:
    return np.array([codes.code(str(name)) for name in names], dtype=np.int32)


def _persisted_path(reader, key: str) -> Path | None:
    folder = getattr(reader.storage(), "folder", None)
    return Path(folder) / f"{key}{PERSISTED_SUFFIX}" if folder else None


def _load(path: Path) -> dict | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            found = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, KeyError):
        return None  # absent, half-written by a crash: decode again
    if "claimed" not in found or any(f"length_{name}" not in found for name in LENGTH_FIELDS):
        return None  # of an older layout: decode again
    return found


def _save(path: Path, stored: dict) -> None:
    with contextlib.suppress(OSError):  # a read-only index folder: every process decodes
        atomic.replace(path, lambda out: np.savez(out, **stored))


def forget_persisted(folder: Path, live_keys: set[str]) -> None:
    """Remove the arrays and postings of segments the index no longer has (merged away)."""
    for suffix in (PERSISTED_SUFFIX, *POSTINGS_SUFFIXES):
        for path in folder.glob(f"*{suffix}"):
            if path.name[: -len(suffix)] not in live_keys:
                path.unlink(missing_ok=True)


def _postings_paths(reader, key: str) -> tuple[Path, ...] | None:
    folder = getattr(reader.storage(), "folder", None)
    if not folder:
        return None
    return tuple(Path(folder) / f"{key}{suffix}" for suffix in POSTINGS_SUFFIXES)


#: Weights are term frequency x field boost: a few distinct values per segment, kept as codes.
_MAX_WEIGHT_CODES = 256


def write_postings(reader, key: str) -> bool:
    """Write (once) every text term's postings of a segment beside it; False if there already
    or the folder is read-only. Segments never change, so the file stays right; documents
    deleted later are masked by the searcher, as with postings read through the matcher."""
    paths = _postings_paths(reader, key)
    if paths is None or paths[0].exists():
        return False
    keys, spans, docs, weights = [], [0], [], []
    for field in LENGTH_FIELDS:
        if field not in reader.schema:
            continue
        for term in reader.lexicon(field):
            doc, weight = _matched(reader.postings(field, term))
            keys.append(_term_key(field, term))
            docs.append(doc)
            weights.append(weight)
            spans.append(spans[-1] + len(doc))
    doc = np.concatenate(docs) if docs else np.zeros(0, np.int32)
    weight = np.concatenate(weights) if weights else np.zeros(0)
    table, code = np.unique(weight, return_inverse=True)
    if len(table) <= _MAX_WEIGHT_CODES:
        code = code.astype(np.uint8)
    else:  # too many to code: the weights themselves
        table, code = np.zeros(0), weight
    terms = np.array(keys, dtype=bytes)
    order = np.argsort(terms, kind="stable")  # numpy's order: the one `find` searches in
    table_of_terms = {
        "terms": terms[order],
        "start": np.array(spans[:-1], np.int64)[order],
        "end": np.array(spans[1:], np.int64)[order],
        "weights": table,
    }
    try:
        _save_npy(paths[1], doc.astype(np.int32))
        _save_npy(paths[2], code)
        _save(paths[0], table_of_terms)
    except OSError:
        return False
    return paths[0].exists()


def _save_npy(path: Path, array: np.ndarray) -> None:
    atomic.replace(path, lambda out: np.save(out, array, allow_pickle=False))


def _term_key(field: str, term: bytes) -> bytes:
    return field.encode() + b"\0" + term


def _matched(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Every posting of a matcher: documents and weights, as the searcher reads them.

    Whoosh 2.7's own posting lists are read a block (up to 128 postings) at a time, through
    the methods its matcher steps with (2.5x faster: 14 s -> 5.5 s of the indexer's CPU per
    160k-document segment); anything else (a term stored inline, deletions filtered) steps."""
    if type(matcher).__name__ == "W3LeafMatcher" and hasattr(matcher, "_read_ids"):
        return _matched_by_block(matcher)
    docs, weights = [], []
    while matcher.is_active():
        docs.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(docs, dtype=np.int32), np.array(weights, dtype=np.float64)


def _matched_by_block(matcher) -> tuple[np.ndarray, np.ndarray]:
    docs, weights = [], []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        docs.append(np.asarray(matcher._ids, dtype=np.int32))
        weights.append(np.asarray(matcher._weights, dtype=np.float64))
        matcher._next_block()
    if not docs:
        return np.zeros(0, np.int32), np.zeros(0)
    return np.concatenate(docs), np.concatenate(weights)


class StoredPostings:
    """A segment's postings as written by `write_postings`: the terms table in memory, the
    postings mapped (shared by every process through the page cache)."""

    def __init__(self, terms, start, end, weights, doc, code):
        self.terms, self.start, self.end, self.weights = terms, start, end, weights
        self.doc, self.code = doc, code

    @classmethod
    def load(cls, reader, key: str) -> "StoredPostings | None":
        paths = _postings_paths(reader, key)
        if paths is None:
            return None
        try:
            with np.load(paths[0], allow_pickle=False) as table:
                terms, start, end = table["terms"], table["start"], table["end"]
                weights = table["weights"]
            doc = np.load(paths[1], mmap_mode="r", allow_pickle=False)
            code = np.load(paths[2], mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, KeyError):
            return None  # absent (not prepared yet, an older index) or damaged: the matcher
        total = int(end.max()) if len(end) else 0
        if len(doc) != len(code) or len(doc) < total:
            return None
        return cls(terms, start, end, weights, doc, code)

    def find(self, field: str, token: str) -> tuple[np.ndarray, np.ndarray]:
        """(documents, weights) of a term; empty if the segment does not have it."""
        wanted = _term_key(field, token.encode("utf-8"))
        at = int(np.searchsorted(self.terms, wanted))
        if at == len(self.terms) or self.terms[at] != wanted:
            return _EMPTY.doc, _EMPTY.weight
        start, end = int(self.start[at]), int(self.end[at])
        code = self.code[start:end]
        weight = self.weights[code] if len(self.weights) else np.array(code, dtype=np.float64)
        return np.asarray(self.doc[start:end]), weight


def _price(value) -> int:
    return -1 if value is None else int(value)


#: Stands in for a document without facts (never written by us): matches nothing.
_BLANK = {
    "pid": -1, "setting": "spa", "claimed": True, "tenant": -1, "accepting": False,
    "in_home": False, "hsa_fsa": False, "referrals": False, "price_min": None,
    "price_max": None, "gender": "",
    "conditions": [], "modalities": [], "languages": [], "offices": [], "specialties": [],
}  # fmt: skip


@dataclass
class Postings:
    """A term's postings in one segment: documents, weights (tf x field boost), field lengths."""

    doc: np.ndarray
    weight: np.ndarray
    length: np.ndarray
    #: The last BM25 scores computed, and the index statistics they were computed with.
    _scored: tuple = (None, None)

    @property
    def size(self) -> int:
        return len(self.doc)

    def bm25(self, idf: float, avgfl: float, weighting) -> np.ndarray:
        """Whoosh's BM25F of each posting; kept until the index's statistics change, so a term
        searched again costs only adding its scores."""
        stats, scores = self._scored
        key = (idf, avgfl, weighting.B, weighting.K1)
        if stats != key:
            scores = bm25(idf, self.weight, self.length, avgfl, weighting.B, weighting.K1)
            self._scored = (key, scores)
        return scores


_EMPTY = Postings(np.zeros(0, np.int32), np.zeros(0), np.zeros(0))


class SegmentCache:
    """The decoded segments and postings of one process, keyed by Whoosh's segment id."""

    def __init__(self, budget: int = POSTINGS_BUDGET):
        self._segments: dict[str, Segment] = {}
        self._postings: OrderedDict[tuple, Postings] = OrderedDict()
        self._held = 0
        self._budget = budget
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def segments(self, searcher) -> list[tuple[str, Segment, object]]:
        """(segment id, decoded segment, reader) for each segment of the searcher."""
        found = []
        for reader, _offset in searcher.reader().leaf_readers():
            if reader.segment() is None:  # an empty index has no segment
                continue
            key = reader.segment().segment_id()
            segment = self._segments.get(key)
            if segment is None:
                with self._lock:
                    build_lock = self._building.setdefault(key, threading.Lock())
                with build_lock:  # one thread decodes a segment; the others wait for it
                    segment = self._segments.get(key)
                    if segment is None:
                        segment = self._segments[key] = Segment(reader, key)
                        self._forget_except({k for k, _s, _r in found} | {key}, searcher)
            found.append((key, segment, reader))
        return found

    def _forget_except(self, keep: set[str], searcher) -> None:
        # Segments merged away or from a swapped-out index are dropped when a new one appears.
        current = {
            r.segment().segment_id()
            for r, _o in searcher.reader().leaf_readers()
            if r.segment() is not None
        } | keep
        with self._lock:
            for key in [k for k in self._segments if k not in current]:
                del self._segments[key]
                self._building.pop(key, None)
            for key in [k for k in self._postings if k[0] not in current]:
                self._held -= self._postings.pop(key).size

    def postings(self, key: str, reader, field: str, token: str) -> Postings:
        """The postings of (field, token) in a segment, live and deleted documents alike."""
        cache_key = (key, field, token)
        with self._lock:
            found = self._postings.get(cache_key)
            if found is not None:
                self._postings.move_to_end(cache_key)
                return found
        segment = self._segments[key]
        if segment.stored_postings is None:  # a stat while the indexer has not written them
            segment.stored_postings = StoredPostings.load(reader, key)
        if segment.stored_postings is not None:
            found = _stored_postings(segment.stored_postings, field, token, segment.lengths[field])
        else:
            found = _read_postings(reader, field, token, segment.lengths[field])
        with self._lock:
            self._postings[cache_key] = found
            self._held += found.size
            while self._held > self._budget and len(self._postings) > 1:
                _key, dropped = self._postings.popitem(last=False)
                self._held -= dropped.size
        return found

    def stats(self) -> dict:
        with self._lock:
            return {
                "segments": len(self._segments),
                "segment_bytes": sum(s.nbytes() for s in self._segments.values()),
                "postings": self._held,
            }


def _read_postings(reader, field: str, token: str, lengths: np.ndarray) -> Postings:
    try:
        matcher = reader.postings(field, token)
    except TermNotFound:
        return _EMPTY
    docs, weights = [], []
    while matcher.is_active():
        docs.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    if not docs:
        return _EMPTY
    docs = np.array(docs, dtype=np.int32)
    return Postings(docs, np.array(weights, dtype=np.float64), lengths[docs].astype(np.float64))


def _stored_postings(stored: StoredPostings, field, token, lengths: np.ndarray) -> Postings:
    docs, weights = stored.find(field, token)
    if not len(docs):
        return _EMPTY
    return Postings(docs, weights, lengths[docs].astype(np.float64))


def live_mask(reader, segment: Segment) -> np.ndarray:
    """Documents of the segment that are neither deleted (as of this reader) nor foreign."""
    mask = segment.written.copy()
    if reader.has_deletions():
        deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
        mask[deleted] = False
    return mask
