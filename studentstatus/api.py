"""The studentstatus part of contracts/api-services.md: create, list, detail, actions and attachments of
transfers, suspensions, resumptions and corrections, and the records (read). Views translate HTTP to
service calls; refusals map once in portal.core.api.exception_handler (409, 403, 400)."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.cases import services as cases
from studentstatus import selectors
from studentstatus.services import corrections, resumptions, suspensions, transfers

CREATE = {
    "transfers": (
        ("student_id_number", "to_school_code", "reason"),
        lambda user, d: transfers.transfer_apply(guardian=user, **d),
    ),
}
ACTIONS = {
    "transfers": {
        "approve": transfers.transfer_approve,
        "reject": transfers.transfer_reject,
        "withdraw": transfers.transfer_withdraw,
    },
}
PARAMS = {}  # (kind, action) → extra body fields the service takes
ATTACH = {}  # kind → the service that takes its uploads (default: the kernel's attachment_add)


def register_kind(kind: str, *, create=None, actions=None, params=None, attach=None) -> None:
    """The other kinds join the same views from their service modules."""
    if create:
        CREATE[kind] = create
    if actions:
        ACTIONS[kind] = actions
    for action, names in (params or {}).items():
        PARAMS[(kind, action)] = names
    if attach:
        ATTACH[kind] = attach


def attach(kind: str, obj, *, by, kind_of_file: str, uploaded_file):
    """Upload a file to ``obj``'s case through the kind's own service, or the kernel's."""
    if kind in ATTACH:
        return ATTACH[kind](obj=obj, by=by, kind=kind_of_file, uploaded_file=uploaded_file)
    return cases.attachment_add(case=obj.case, by=by, kind=kind_of_file, uploaded_file=uploaded_file)


class Pagination(PageNumberPagination):
    page_size = 20


def _body(request, names):
    errors, data = {}, {}
    for name in names:
        value = request.data.get(name)
        if value in (None, ""):
            errors[name] = [_("This field is required.")]
        else:
            data[name] = value
    return data, errors


def _schema(operation_id: str):
    """The representation is a JSON object per contracts/api-services.md (one shape for four kinds)."""
    return extend_schema(
        operation_id=operation_id, request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT
    )


def _kind(kind):
    if kind not in selectors.MODELS:
        raise Http404
    return kind


class CaseListView(APIView):
    permission_classes = [IsAuthenticated]

    @_schema("studentstatus_cases_list")
    def get(self, request, kind):
        qs = selectors.cases_of(_kind(kind), request.user).order_by("-case__submitted_at", "-pk")
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(
            [selectors.representation(kind, obj, request.user) for obj in page]
        )

    @_schema("studentstatus_cases_create")
    def post(self, request, kind):
        if _kind(kind) not in CREATE:
            raise Http404
        names, create = CREATE[kind]
        data, errors = _body(request, names)
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        obj = create(request.user, data)
        fresh = selectors.case_of(kind, request.user, obj.case.reference_no)
        return Response(selectors.representation(kind, fresh, request.user), status=status.HTTP_201_CREATED)


class CaseDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @_schema("studentstatus_case_retrieve")
    def get(self, request, kind, reference_no):
        obj = selectors.case_of(_kind(kind), request.user, reference_no)
        if obj is None:
            raise Http404
        return Response(selectors.representation(kind, obj, request.user))


class CaseActionView(APIView):
    permission_classes = [IsAuthenticated]

    @_schema("studentstatus_case_action")
    def post(self, request, kind, reference_no, action):
        obj = selectors.case_of(_kind(kind), request.user, reference_no)
        service = ACTIONS.get(kind, {}).get(action)
        if obj is None or service is None:
            raise Http404
        extra, errors = _body(request, PARAMS.get((kind, action), ()))
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        service(**{kind[:-1]: obj}, by=request.user, note=str(request.data.get("note", ""))[:2000], **extra)
        fresh = selectors.case_of(kind, request.user, reference_no)
        return Response(selectors.representation(kind, fresh, request.user))


class AttachmentView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @_schema("studentstatus_case_attachment")
    def post(self, request, kind, reference_no):
        obj = selectors.case_of(_kind(kind), request.user, reference_no)
        if obj is None:
            raise Http404
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"file": [_("Choose a file to upload.")]}, status=status.HTTP_400_BAD_REQUEST)
        attachment = attach(
            kind, obj, by=request.user, kind_of_file=request.data.get("kind", ""), uploaded_file=upload
        )
        return Response(
            {
                "id": attachment.pk,
                "kind": attachment.kind,
                "name": attachment.original_name,
                "sha256": attachment.sha256,
            },
            status=status.HTTP_201_CREATED,
        )


class RecordListView(APIView):
    permission_classes = [IsAuthenticated]

    @_schema("studentstatus_records_list")
    def get(self, request):
        qs = selectors.records_of(request.user).order_by("school__code", "grade", "pk")
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([record_data(r) for r in page])


def record_data(record) -> dict:
    return {
        "student_no": record.masked_student_no,
        "name": record.name,
        "gender": record.gender,
        "school": record.school.code,
        "stage": record.stage,
        "grade": record.grade,
        "class": record.class_name,
        "entry_year": record.entry_year,
        "status": record.status,
    }


# --- suspensions (休学), resumptions (复学), corrections (信息更正): issue 14 items 3 and 4 --------------

register_kind(
    "suspensions",
    create=(
        ("student_id_number", "months", "reason"),
        lambda user, d: suspensions.suspension_apply(guardian=user, **d),
    ),
    actions={
        "approve": suspensions.suspension_approve,
        "reject": suspensions.suspension_reject,
        "withdraw": suspensions.suspension_withdraw,
    },
    attach=suspensions.certificate_attach,
)
register_kind(
    "resumptions",
    create=(("student_id_number",), lambda user, d: resumptions.resumption_apply(guardian=user, **d)),
    actions={"approve": resumptions.resumption_approve, "reject": resumptions.resumption_reject},
    params={"approve": ("grade",)},
    attach=suspensions.certificate_attach,
)
register_kind(
    "corrections",
    create=(
        ("student_id_number", "field", "new_value"),
        lambda user, d: corrections.correction_apply(guardian=user, **d),
    ),
    actions={"approve": corrections.correction_approve, "reject": corrections.correction_reject},
)


class RecordCertificateView(APIView):
    """``GET /api/v1/studentstatus/records/{student_no}/certificate.pdf``: the graduation certificate
    (学历证明) of a graduated junior pupil. The school, the district's bureau and the pupil's guardian (by
    户口簿 or birth record) may download it; anyone else gets 404; not graduated → 409."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="studentstatus_record_certificate",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, student_no):
        from studentstatus.views_graduation import certificate_response

        return certificate_response(_record_by_student_no(request.user, student_no))


def _record_by_student_no(user, student_no: str):
    from django.core.exceptions import PermissionDenied, ValidationError

    from portal.accounts.models import Role
    from portal.cases.workflow import ActionNotAllowed
    from portal.core import pii
    from studentstatus.services import common

    student_no = (student_no or "").strip().upper()
    if not student_no.startswith("G") or len(student_no) != 19:
        raise Http404
    record = selectors.records_of(user).filter(student_no_hash=pii.keyed_hash(student_no)).first()
    if record is not None:
        return record
    if user.role != Role.CITIZEN:
        raise Http404
    try:
        return common.guardian_record(
            guardian=user, student_id_number=student_no[1:], purpose="下载学历证明：核验监护关系"
        )
    except (ValidationError, PermissionDenied) as exc:
        if isinstance(exc, ActionNotAllowed):
            raise
        raise Http404 from None
