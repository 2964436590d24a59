"""The ceilings the submit endpoint is measured against, with nothing of enrollment in them.

Both views run in the same process, middleware, REST framework authentication (``Authorization: Token``,
the portal's expiring token class) and permission default as ``POST /api/v1/enrollment/applications/``.

- ``/bench/insert/``: the body is stored with ONE SQL insert into ``bench_enrollment_ceiling`` (a table
  the benchmark creates and drops with its database), and a small JSON answer is returned with 201.
- ``/bench/lookup-insert/`` (the *fair* ceiling, issue 13 item 13): what the contract cannot do without —
  the ONE signed registry look-up that decides the synchronous 403 (the child's 户口簿 from the 户籍
  registry, through the exchange client: signed request, timeout, circuit breaker, the sandbox's answer
  parsed) — plus the same one insert, which here also keeps the registry's answer.
"""

import json

from django.db import connection
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

CEILING_TABLE = "bench_enrollment_ceiling"
CREATE_TABLE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {CEILING_TABLE} ("
    "id bigserial PRIMARY KEY, user_id bigint NOT NULL, body jsonb NOT NULL, "
    "created_at timestamptz NOT NULL DEFAULT now())"
)


def _insert(user_id: int, body: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CEILING_TABLE} (user_id, body) VALUES (%s, %s) RETURNING id",  # noqa: S608
            [user_id, json.dumps(body, ensure_ascii=False)],
        )
        (row_id,) = cursor.fetchone()
    return row_id


class CeilingInsertView(APIView):
    def post(self, request):
        return Response({"id": _insert(request.user.pk, request.data)}, status=status.HTTP_201_CREATED)


class FairCeilingView(APIView):
    """One signed 户籍 look-up of the child named in the body, then one insert."""

    def post(self, request):
        from exchange.client import recording
        from exchange.errors import ExchangeError
        from exchange.sources import hukou_household

        child_id = str(request.data.get("child_id_number", ""))
        with recording():
            try:
                answer = {"household_no": hukou_household(id_number=child_id).household_no}
            except ExchangeError as exc:
                answer = {"error": type(exc).__name__}
        row_id = _insert(request.user.pk, {"request": request.data, "answer": answer})
        return Response({"id": row_id}, status=status.HTTP_201_CREATED)
