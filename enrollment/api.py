"""Applications part of contracts/api-enrollment.md: submit, list, detail, actions, notice PDF.

Views only translate HTTP to service calls and service outcomes to status codes; they never change an
application themselves (STYLE.md: one service per user action). Reads go through the selectors, so a
reference number outside the user's scope answers 404 whether or not it exists.
"""

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment import selectors, services
from enrollment.models import Application, Check, State
from enrollment.serializers import (
    ActionSerializer,
    ApplicationSerializer,
    ApplicationSubmitSerializer,
    DetailSerializer,
    DuplicateSerializer,
)
from portal.accounts.models import Role
from portal.cases.models import CaseEvent
from portal.core.api import Conflict, FirstRendererNegotiation

# action name in the URL → service. Who may take it is the service's decision (staff in scope for the first
# three, the applicant for withdraw); it says no with PermissionDenied (403), before looking at the state.
ACTIONS = {
    "approve": services.application_approve,
    "reject": services.application_reject,
    "request_supplement": services.application_request_supplement,
    "withdraw": services.application_withdraw,
}
NOTICE_STATES = {State.QUALIFIED, State.ADMITTED}

FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT, description='Invalid input: `{"<field>": ["message", …]}`.'
)
NOT_FOUND = OpenApiResponse(
    DetailSerializer, description="No such application among yours (or in your scope)."
)
FORBIDDEN = OpenApiResponse(DetailSerializer, description="Not allowed for your role.")
REFERENCE_NO = OpenApiParameter(
    "reference_no", str, OpenApiParameter.PATH, description="Case reference, e.g. JY-ENR-2027-000001."
)


class IsRealNameCitizen(BasePermission):
    """Only a citizen whose account is real-name verified applies online; staff use the counter pages."""

    message = _("Only a real-name verified guardian can submit an application online.")

    def has_permission(self, request, view):
        if request.method != "POST":
            return True
        user = request.user
        return user.role == Role.CITIZEN and user.is_real_name_verified and bool(user.id_number)


# What the representation never shows: the ID numbers stay encrypted in the row (no decryption per read).
_NOT_SHOWN = (
    "child_id_number",
    "other_guardian_id_number",
    "case__subject_id_number",
    "sibling__child_id_number",
    "sibling__other_guardian_id_number",
)


def _prefetches():
    return (
        Prefetch("checks", queryset=Check.objects.order_by("id")),
        Prefetch("case__events", queryset=CaseEvent.objects.order_by("seq")),
    )


def _for_representation(queryset):
    return (
        queryset.select_related("case__service", "sibling__case", "zone_school", "school")
        .defer(*_NOT_SHOWN)
        .prefetch_related(*_prefetches())
    )


def _as_submitted(application: Application) -> Application:
    """The application just submitted, ready to represent, without reading its row again: the submission
    holds the case, its service and the sibling in memory, so only what the verification may already have
    changed is refreshed (one narrow read), then its checks and events (a wide five-table re-read cost
    3.8 ms of the portal's ~20 ms per submission; this costs 0.4 ms)."""
    application.refresh_from_db(fields=["state", "category", "points", "zone_school", "school"])
    prefetch_related_objects([application], *_prefetches())
    return application


def _applications(user):
    return _for_representation(selectors.applications_for_user(user))


def _reload(user, reference_no: str):
    """The application with everything the representation needs, read fresh after a change."""
    application = _applications(user).filter(case__reference_no=reference_no).first()
    if application is None:
        raise exceptions.NotFound()
    return application


class ApplicationListView(generics.ListCreateAPIView):
    permission_classes = [IsAuthenticated, IsRealNameCitizen]
    serializer_class = ApplicationSerializer

    def get_queryset(self):
        return _applications(self.request.user)

    @extend_schema(
        summary="Your applications (staff: those in your scope)",
        responses={200: ApplicationSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Submit an application for your child",
        request=ApplicationSubmitSerializer,
        responses={
            201: ApplicationSerializer,
            400: FIELD_ERRORS,
            403: OpenApiResponse(
                DetailSerializer,
                description="Not a real-name verified citizen, or the registries do not show the child "
                "as yours.",
            ),
            409: OpenApiResponse(
                DuplicateSerializer,
                description="The child already has an application for that year and stage.",
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        data = ApplicationSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            application = services.application_submit(guardian=request.user, **data.validated_data)
        except services.DuplicateApplication as exc:
            return Response({"reference_no": exc.reference_no}, status=status.HTTP_409_CONFLICT)
        except services.NotTheGuardian as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        # the guardian's own, just made: no scope query, and fresh where the verification may already
        # have decided it
        body = ApplicationSerializer(_as_submitted(application)).data
        return Response(body, status=status.HTTP_201_CREATED)


class ApplicationDetailView(APIView):
    @extend_schema(
        summary="One application with its checks and trace",
        parameters=[REFERENCE_NO],
        responses={200: ApplicationSerializer, 404: NOT_FOUND},
    )
    def get(self, request, reference_no: str):
        return Response(ApplicationSerializer(_reload(request.user, reference_no)).data)


class ApplicationActionView(APIView):
    @extend_schema(
        summary="Act on an application",
        description=(
            "Staff in scope: `approve`, `reject` (note required), `request_supplement` (note required: "
            "what to supply). The guardian: `withdraw`. 409 when the current state does not allow the "
            "action; 403 when your role may not take it."
        ),
        parameters=[
            REFERENCE_NO,
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS)),
        ],
        request=ActionSerializer,
        responses={
            200: ApplicationSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(DetailSerializer, description="Not allowed in the current state."),
        },
    )
    def post(self, request, reference_no: str, action: str):
        service = ACTIONS.get(action)
        if service is None:
            raise exceptions.NotFound(_("Unknown action %(action)s.") % {"action": action})
        application = selectors.application_for_user(request.user, reference_no)
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # ActionNotAllowed → 409, PermissionDenied → 403, other ValidationErrors → 400 (exception handler)
        service(application=application, by=request.user, note=data.validated_data["note"])
        return Response(ApplicationSerializer(_reload(request.user, reference_no)).data)


class NoticePdfView(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="The place notice (学位告知书) or, once admitted, the admission notice, as PDF",
        parameters=[REFERENCE_NO],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The notice."),
            404: NOT_FOUND,
            409: OpenApiResponse(DetailSerializer, description="Not qualified or admitted: no notice."),
        },
    )
    def get(self, request, reference_no: str):
        application = selectors.application_for_user(request.user, reference_no)
        if application.state not in NOTICE_STATES:
            raise Conflict(_("A notice exists once the application is qualified or admitted."))
        from enrollment import notice  # WeasyPrint is heavy: loaded by the first request that needs it

        try:
            pdf = notice.render_notice_pdf(application)
            filename = notice.notice_filename(application)
        except notice.NoticeNotAvailable as exc:
            raise Conflict(_("The notice is not available yet.")) from exc
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, filename)
        return response
