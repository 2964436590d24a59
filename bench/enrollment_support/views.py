"""The ceiling: what one authenticated JSON write costs on this stack, with nothing of enrollment in it.

Same process, middleware, REST framework authentication (``Authorization: Token``, the portal's expiring
token class) and permission default as ``POST /api/v1/enrollment/applications/``; the body is parsed and
stored with ONE SQL insert into ``bench_enrollment_ceiling`` (a table the benchmark creates and drops with
its database), and a small JSON answer is returned with 201.
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


class CeilingInsertView(APIView):
    def post(self, request):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {CEILING_TABLE} (user_id, body) VALUES (%s, %s) RETURNING id",  # noqa: S608
                [request.user.pk, json.dumps(request.data, ensure_ascii=False)],
            )
            (row_id,) = cursor.fetchone()
        return Response({"id": row_id}, status=status.HTTP_201_CREATED)
