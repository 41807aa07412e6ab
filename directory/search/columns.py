"""The index's structured data as arrays: read once per segment, shared by every searcher.

Whoosh segments never change once written (only their deletion lists grow), so what a segment
holds is decoded once per process, from the `facts` column (public API:
`reader.column_reader`), into numpy arrays: one row per document for single values, and
(document, value) pairs for lists (conditions, modalities, languages, offices). Postings of the
text terms a query uses are read the same way, once per segment and term, through the public
matcher API, and kept in a bounded cache. The engine then answers with array operations.
"""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh.reading import TermNotFound

SETTING_CODES = {"spa": 0, "medical": 1, "both": 2}
SETTING_NAMES = tuple(SETTING_CODES)
#: Postings kept in memory per process (about 16 bytes each), least recently used dropped first.
POSTINGS_BUDGET = 3_000_000


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

    def __len__(self) -> int:
        return len(self._names)


CONDITIONS, MODALITIES, STATES, LANGUAGES = Codes(), Codes(), Codes(), Codes()


@dataclass
class Pairs:
    """A multi-valued attribute: parallel arrays of document numbers and value codes."""

    doc: np.ndarray
    code: np.ndarray

    def having(self, code: int, size: int) -> np.ndarray:
        """A boolean per document: holds this value."""
        mask = np.zeros(size, dtype=bool)
        mask[self.doc[self.code == code]] = True
        return mask

    def count(self, docs_mask: np.ndarray, size: int) -> np.ndarray:
        """How many documents of the mask hold each code (index = code)."""
        return np.bincount(self.code[docs_mask[self.doc]], minlength=size)


class Segment:
    """One segment's facts as arrays (document numbers are the segment's own)."""

    def __init__(self, reader):
        self.size = reader.doc_count_all()
        column = reader.column_reader("facts", translate=False)
        pid, setting, tenant, flags, prices, listed = [], [], [], [], [], []
        conditions, modalities, languages = ([], []), ([], []), ([], [])
        offices = ([], [], [], [], [], [], [])
        for doc in range(self.size):
            raw = column[doc]
            facts = json.loads(raw) if raw else None
            if facts is None:  # never written by us; treated as deleted
                pid.append(-1), setting.append(0), tenant.append(-1), listed.append(0)
                flags.append((False, False, False, False)), prices.append((-1, -1))
                continue
            pid.append(facts["pid"])
            setting.append(SETTING_CODES[facts["setting"]])
            tenant.append(facts["tenant"])
            flags.append((facts["accepting"], facts["in_home"], facts["hsa_fsa"],
                          facts["referrals"]))  # fmt: skip
            prices.append((_price(facts["price_min"]), _price(facts["price_max"])))
            listed.append(len(facts["conditions"]) + len(facts["modalities"]))
            for pairs, codes, values in (
                (conditions, CONDITIONS, facts["conditions"]),
                (modalities, MODALITIES, facts["modalities"]),
                (languages, LANGUAGES, facts["languages"]),
            ):
                for value in values:
                    pairs[0].append(doc)
                    pairs[1].append(codes.code(value))
            for office_id, lat, lon, state, listed_until, badge_until in facts["offices"]:
                for column_list, value in zip(
                    offices,
                    (doc, office_id, lat, lon, STATES.code(state), listed_until, badge_until),
                    strict=True,
                ):
                    column_list.append(value)
        self.pid = np.array(pid, dtype=np.int64)
        self.setting = np.array(setting, dtype=np.int8)
        self.tenant = np.array(tenant, dtype=np.int64)
        flags = np.array(flags, dtype=bool).reshape(-1, 4)
        self.accepting, self.in_home, self.hsa_fsa, self.referrals = flags.T.copy()
        prices = np.array(prices, dtype=np.int32).reshape(-1, 2)
        self.price_min, self.price_max = prices.T.copy()
        #: Conditions + modalities listed (a long list is a less focused practice).
        self.listed = np.array(listed, dtype=np.int32)
        self.conditions = _pairs(conditions)
        self.modalities = _pairs(modalities)
        self.languages = _pairs(languages)
        # Offices, grouped by document in office-id order (as the profile lists them).
        self.office_doc = np.array(offices[0], dtype=np.int32)
        self.office_id = np.array(offices[1], dtype=np.int64)
        self.office_lat = np.array(offices[2], dtype=np.float64)
        self.office_lon = np.array(offices[3], dtype=np.float64)
        self.office_state = np.array(offices[4], dtype=np.int32)
        #: Last day (proleptic ordinal) the office may be listed / shows the verified badge.
        self.office_listed_until = np.array(offices[5], dtype=np.int32)
        self.office_badge_until = np.array(offices[6], dtype=np.int32)
        self.written = self.pid >= 0

    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


def _price(value) -> int:
    return -1 if value is None else int(value)


def _pairs(pairs) -> Pairs:
    return Pairs(np.array(pairs[0], dtype=np.int32), np.array(pairs[1], dtype=np.int32))


@dataclass
class Postings:
    """A term's postings in one segment: documents, weights (tf x field boost), field lengths."""

    doc: np.ndarray
    weight: np.ndarray
    length: np.ndarray

    @property
    def size(self) -> int:
        return len(self.doc)


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
                        segment = self._segments[key] = Segment(reader)
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
        found = _read_postings(reader, field, token)
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


def _read_postings(reader, field: str, token: str) -> Postings:
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
    lengths = [reader.doc_field_length(doc, field) for doc in docs]
    return Postings(
        np.array(docs, dtype=np.int32),
        np.array(weights, dtype=np.float64),
        np.array(lengths, dtype=np.float64),
    )


def live_mask(reader, segment: Segment) -> np.ndarray:
    """Documents of the segment that are neither deleted (as of this reader) nor foreign."""
    mask = segment.written.copy()
    if reader.has_deletions():
        deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
        mask[deleted] = False
    return mask
