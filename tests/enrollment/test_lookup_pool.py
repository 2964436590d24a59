"""The look-up pool of enrollment.evidence: kept per calling thread, so its threads (and their database
connections) serve one application after another instead of being made for each."""

import threading

from enrollment import evidence


def _idents(pool, n=6):
    barrier = threading.Barrier(n, timeout=5)

    def ident():
        barrier.wait()  # every task on its own thread
        return threading.get_ident()

    return {f.result() for f in [pool.submit(ident) for _ in range(n)]}


def test_the_pool_and_its_threads_are_kept_for_the_next_application(settings):
    settings.ENROLLMENT_LOOKUP_WORKERS = 6
    pool = evidence._pool()
    first = _idents(pool)
    assert evidence._pool() is pool
    assert _idents(evidence._pool()) == first  # the same six threads, connections and all


def test_another_thread_has_its_own_pool_and_a_new_size_a_new_pool(settings):
    settings.ENROLLMENT_LOOKUP_WORKERS = 3
    mine = evidence._pool()
    theirs = []
    worker = threading.Thread(target=lambda: theirs.append(evidence._pool()))
    worker.start()
    worker.join()
    assert theirs[0] is not mine
    settings.ENROLLMENT_LOOKUP_WORKERS = 4
    resized = evidence._pool()
    assert resized is not mine and resized._max_workers == 4
    assert mine._shutdown  # the old one lets its threads go


def test_only_pool_threads_tidy_their_database_connection(settings, db, monkeypatch):
    """The sole-residence proof is fetched on the caller's thread, maybe inside its transaction: only the
    pool's tasks check their connection (closing the caller's would end its transaction under it)."""
    from exchange import sources as S
    from exchange.models import Lookup, Outcome
    from tests.enrollment.conftest import new_id

    settings.ENROLLMENT_LOOKUP_WORKERS = 6
    tidied = []
    monkeypatch.setattr(evidence, "close_old_connections", lambda: tidied.append(threading.get_ident()))
    child = new_id("2020-05-01", male=True)
    missing = evidence._fetch(S.hukou_person, case=None, empty=None, id_number=child)
    assert missing.source == S.HUKOU  # no authorisation on record: Missing, never a pass
    assert tidied == []
    evidence._fetch_in_pool(S.hukou_person, case=None, empty=None, id_number=child)
    assert tidied == [threading.get_ident()] * 2  # before and after
    assert set(Lookup.objects.values_list("outcome", flat=True)) == {Outcome.NOT_AUTHORISED}
