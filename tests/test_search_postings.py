"""Postings written beside a segment by the indexer read exactly as the matcher reads them."""

import tempfile
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh.index import create_in

from directory.search import columns, sync
from directory.search.index import SCHEMA, TEXT_FIELDS
from tests.test_search import api, build_roster, slugs

LATER = date.today() + timedelta(days=365)
#: A small vocabulary, some words shared by fields, some repeated in a document (frequencies).
WORDS = ["back", "pain", "sciatica", "swedish", "deep", "tissue", "alexa", "café", "neck", "x"]
_TEXT = st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join)
_DOC = st.fixed_dictionaries(dict.fromkeys(TEXT_FIELDS, _TEXT))


def _both_ways(reader, key, lengths):
    """Every term of every text field (and some absent ones): (matcher, stored) postings."""
    stored = columns.StoredPostings.load(reader, key)
    assert stored is not None
    for field in TEXT_FIELDS:
        tokens = [t.decode() for t in reader.lexicon(field)] + ["absent", "zzzz", ""]
        for token in tokens:
            yield (
                columns._read_postings(reader, field, token, lengths),
                columns._stored_postings(stored, field, token, lengths),
            )


@given(docs=st.lists(_DOC, min_size=1, max_size=30), batches=st.integers(1, 3),
       deleted=st.sets(st.integers(0, 29), max_size=5))  # fmt: skip
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_stored_postings_are_the_matchers_postings(docs, batches, deleted):
    with tempfile.TemporaryDirectory() as folder:
        ix = create_in(folder, SCHEMA)
        for part in range(batches):  # a segment per batch, in files (as the index keeps them)
            with ix.writer(compound=False) as writer:
                for number, doc in enumerate(docs[part::batches]):
                    writer.add_document(pid=f"{part}-{number}", **doc)
        with ix.searcher() as searcher:
            for reader, _offset in searcher.reader().leaf_readers():
                key = reader.segment().segment_id()
                assert columns.write_postings(reader, key)
                assert not columns.write_postings(reader, key)  # written once
                lengths = np.arange(reader.doc_count_all(), dtype=np.uint32) % 7
                for read, stored in _both_ways(reader, key, lengths):
                    for name in ("doc", "weight", "length"):
                        got, want = getattr(stored, name), getattr(read, name)
                        assert got.dtype == want.dtype and np.array_equal(got, want)
        # Documents deleted after the file was written: the matcher leaves them out, the file
        # keeps them (the searcher masks them); the live ones are the same, equally weighted.
        with ix.writer(compound=False) as writer:
            for number in deleted:
                writer.delete_by_term("pid", f"0-{number}")
        with ix.searcher() as searcher:
            for reader, _offset in searcher.reader().leaf_readers():
                key = reader.segment().segment_id()
                gone = set(reader.deleted_docs_set) if reader.has_deletions() else set()
                lengths = np.ones(reader.doc_count_all(), dtype=np.uint32)
                for read, stored in _both_ways(reader, key, lengths):
                    live = [(d, w) for d, w in zip(stored.doc.tolist(), stored.weight.tolist(),
                                                   strict=True) if d not in gone]  # fmt: skip
                    assert live == list(zip(read.doc.tolist(), read.weight.tolist(), strict=True))


def test_postings_longer_than_a_block_are_written_whole(tmp_path):
    ix = create_in(str(tmp_path), SCHEMA)
    with ix.writer(compound=False) as writer:  # Whoosh keeps 128 postings a block
        for number in range(700):
            words = " ".join(["pain"] * (1 + number % 4) + ["neck"] * (number % 3 == 0))
            writer.add_document(pid=str(number), name=str(number), bio=words, headline=words)
    with ix.searcher() as searcher:
        (reader, _offset), *_ = searcher.reader().leaf_readers()
        key = reader.segment().segment_id()
        assert columns.write_postings(reader, key)
        lengths = np.arange(reader.doc_count_all(), dtype=np.uint32)
        compared = 0
        for read, stored in _both_ways(reader, key, lengths):
            assert np.array_equal(stored.doc, read.doc)
            assert np.array_equal(stored.weight, read.weight)
            compared += read.size
        assert compared > 3 * 700  # "pain" and "neck" in two fields, the names


@pytest.fixture
def roster(make_practitioner):
    return build_roster(make_practitioner)


def _keys():
    with sync.store().searcher() as searcher:
        return {r.segment().segment_id() for r, _o in searcher.reader().leaf_readers()}


def test_the_indexer_writes_postings_and_a_new_process_maps_them(app, client, roster, monkeypatch):
    sync.drain()
    store = sync.store()
    live = store.live_dir()
    keys = _keys()
    for suffix in columns.POSTINGS_SUFFIXES:
        assert {p.name for p in live.glob(f"*{suffix}")} == {f"{key}{suffix}" for key in keys}
    want = api(client, q="alexa sciatica", near="Hoboken, NJ").json
    store.columns = columns.SegmentCache()  # a new process: postings mapped, never stepped
    monkeypatch.setattr(columns, "_read_postings", lambda *a: pytest.fail("matcher read"))
    assert api(client, q="alexa sciatica", near="Hoboken, NJ").json == want
    assert slugs(api(client, q="alexa", near="Hoboken, NJ")) == ["alexa-marie"]


def test_an_indexer_starting_on_an_index_without_postings_writes_them(app, roster):
    """An index built before postings were kept, with nothing to apply: the indexer writes
    them when it starts, not at the index's next change."""
    sync.drain()
    live = sync.store().live_dir()
    for suffix in columns.POSTINGS_SUFFIXES:
        for path in live.glob(f"*{suffix}"):
            path.unlink()
    rounds = iter([False, True])
    sync.serve(say=lambda _m: None, stop=lambda: next(rounds), sleep=lambda _s: None)
    for suffix in columns.POSTINGS_SUFFIXES:
        assert {p.name for p in live.glob(f"*{suffix}")} == {f"{key}{suffix}" for key in _keys()}


def test_without_the_postings_file_the_matcher_answers_the_same(app, client, roster, monkeypatch):
    sync.drain()
    store = sync.store()
    want = api(client, q="alexa sciatica", near="Hoboken, NJ").json
    for suffix in columns.POSTINGS_SUFFIXES[:1]:  # the terms table: the file is incomplete
        for path in store.live_dir().glob(f"*{suffix}"):
            path.unlink()
    read = []
    real = columns._read_postings
    monkeypatch.setattr(columns, "_read_postings", lambda *a: read.append(a[1:3]) or real(*a))
    store.columns = columns.SegmentCache()
    assert api(client, q="alexa sciatica", near="Hoboken, NJ").json == want
    assert read  # the matcher answered


def test_a_damaged_postings_file_falls_back_to_the_matcher(app, client, roster):
    sync.drain()
    store = sync.store()
    want = api(client, q="alexa", near="Hoboken, NJ").json
    for path in store.live_dir().glob(f"*{columns.POSTINGS_SUFFIXES[0]}"):
        path.write_bytes(b"not an npz file")
    store.columns = columns.SegmentCache()
    assert api(client, q="alexa", near="Hoboken, NJ").json == want


def test_postings_of_merged_segments_are_removed(app, client, roster, make_practitioner):
    sync.drain()
    live = sync.store().live_dir()
    before = {p.name for p in live.glob(f"*{columns.POSTINGS_SUFFIXES[1]}")}
    for i in range(12):  # enough small segments for Whoosh to merge some of them
        make_practitioner(f"extra-{i}", licenses=[("NJ", "verified", LATER)], offices=["07030"])
        sync.drain()
    keys = _keys()
    for suffix in columns.POSTINGS_SUFFIXES:
        assert {p.name for p in live.glob(f"*{suffix}")} == {f"{key}{suffix}" for key in keys}
    assert before - {p.name for p in live.glob(f"*{columns.POSTINGS_SUFFIXES[1]}")}


def test_a_request_catching_up_leaves_the_postings_to_the_indexer(app, roster, make_practitioner):
    sync.drain()
    live = sync.store().live_dir()
    make_practitioner("late-lee", licenses=[("NJ", "verified", LATER)], offices=["07030"])
    with app.test_request_context("/search"):  # a worker applying rows before a search
        assert sync.drain() >= 1
    unwritten = {
        key for key in _keys() if not (live / f"{key}{columns.POSTINGS_SUFFIXES[0]}").exists()
    }
    assert unwritten  # the new segment: facts decoded, postings left for the indexer
    assert all((live / f"{key}{columns.PERSISTED_SUFFIX}").exists() for key in unwritten)
    sync._prepare_columns(live)  # the indexer's next round writes them
    assert all((live / f"{key}{columns.POSTINGS_SUFFIXES[0]}").exists() for key in _keys())
