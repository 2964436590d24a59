"""The submission's database work stays what the contract needs (issue 13 item 13): a regression here
shows as a slower submit endpoint in ``make bench`` long before anyone reads a profile."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.cases.models import ReferenceCounter
from portal.cases.services import local_today
from tests.enrollment.test_api import URL, api, body

# token, duplicate check, authorisations, look-up record, community, rules, service item, calendar, case,
# 2 × (event number + event), application, counter, case number, message; then the answer: application
# (with its case, service and schools), checks, events, documents. (Before issue 13 item 13: 24.)
MAX_PORTAL_QUERIES = 21


def _portal_statements(queries) -> list[str]:
    """The portal's own statements: not the in-process sandbox registry's, not the test's savepoints."""
    return [
        q["sql"]
        for q in queries
        if '"sandbox_' not in q["sql"] and not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_a_submission_takes_a_fixed_small_number_of_queries(family):
    fam = family.load()
    client = api(fam.guardian)
    ReferenceCounter.objects.get_or_create(service_code="ENR", year=local_today().year)  # not the first
    with CaptureQueriesContext(connection) as captured:
        response = client.post(URL, body(fam), format="json")
    assert response.status_code == 201, response.content
    statements = _portal_statements(captured.captured_queries)
    assert len(statements) <= MAX_PORTAL_QUERIES, "\n".join(s[:160] for s in statements)
    # no decryption of ID numbers the answer never shows, no separate next-step or service read
    assert not [s for s in statements if s.startswith('UPDATE "cases_case" SET "next_step"')]
    assert sum('FROM "catalog_serviceitem"' in s for s in statements) == 1
