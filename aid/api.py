"""/api/v1/aid/ (contracts/api-services.md): applications, schemes (public), invitations.

Views translate HTTP to service calls only. Refusals: ``ActionNotAllowed`` → 409 and ``PermissionDenied``
→ 403 through portal.core.api.exception_handler; field errors → 400; another family's or school's case →
404 (an application on public notice may be objected to by anyone signed in).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from aid import selectors, services
from aid.models import DECLARED_QUALIFICATIONS
from portal.cases import services as cases
from portal.invitations.models import Invitation
from portal.invitations.selectors import invitation_json
from portal.invitations.services import invitation_accept, invitation_decline


@extend_schema_serializer(component_name="AidApplicationCreate")
class CreateSerializer(serializers.Serializer):
    scheme_code = serializers.CharField(max_length=32)
    student_id_number = serializers.CharField(max_length=18)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    declared = serializers.ListField(
        child=serializers.ChoiceField(choices=list(DECLARED_QUALIFICATIONS)), required=False, default=list
    )
    account_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    bank_account = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    guardian_id_number = serializers.CharField(
        max_length=18, required=False, allow_blank=True, default="", help_text="A school clerk at the counter"
    )


@extend_schema_serializer(component_name="AidAction")
class ActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    level = serializers.CharField(required=False, allow_blank=True, default="", max_length=16)
    account_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    bank_account = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


def _paginated(view, request, rows):
    paginator = generics.GenericAPIView.pagination_class()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(page)


class ApplicationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Your aid applications; staff: those in your scope",
        operation_id="v1_aid_applications_list",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        qs = selectors.applications_for_user(request.user).prefetch_related("checks")
        paginator = generics.GenericAPIView.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([selectors.representation(a, request.user) for a in page])

    @extend_schema(summary="Apply for aid", request=CreateSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        guardian_id = values.pop("guardian_id_number")
        if guardian_id:
            guardian = services.counter_guardian(id_number=guardian_id, by=request.user)
            application = services.application_submit(
                guardian=guardian, by=request.user, channel="counter", **values
            )
        else:
            application = services.application_submit(guardian=request.user, **values)
        fresh = selectors.application_for_user(request.user, application.case.reference_no)
        return Response(selectors.representation(fresh, request.user), status=status.HTTP_201_CREATED)


class ApplicationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One aid application", responses={200: OpenApiTypes.OBJECT})
    def get(self, request, reference_no: str):
        application = selectors.application_for_user(request.user, reference_no)
        return Response(selectors.representation(application, request.user))


ACTIONS = {
    "approve": lambda a, by, d: services.application_approve(
        application=a, by=by, note=d["note"], level=d["level"]
    ),
    "reject": lambda a, by, d: services.application_reject(application=a, by=by, note=d["note"]),
    "withdraw": lambda a, by, d: services.application_withdraw(application=a, by=by, note=d["note"]),
    "account": lambda a, by, d: services.application_set_account(
        application=a, by=by, account_name=d["account_name"], bank_account=d["bank_account"]
    ),
}


class ApplicationActionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="approve / reject (school, then bureau; reject needs a note; approve may set level), "
        "object (anyone signed in, during the notice; the note is the objection), withdraw, account",
        request=ActionSerializer,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request, reference_no: str, action: str):
        data = ActionSerializer(data=request.data)
        if action == "object":
            visible = (
                selectors.applications_for_user(request.user).filter(case__reference_no=reference_no).first()
            )
            application = visible or selectors.application_on_notice(reference_no)
            data.is_valid(raise_exception=True)
            try:
                services.application_object(
                    application=application, by=request.user, text=data.validated_data["note"]
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "text" in exc.error_dict:
                    raise exceptions.ValidationError({"note": exc.message_dict["text"]}) from None
                raise
            application.refresh_from_db()
            if visible is None:
                return Response(selectors.public_representation(application))
            return Response(selectors.representation(application, request.user))
        run = ACTIONS.get(action)
        if run is None:
            raise exceptions.NotFound(_("Unknown action %(action)s.") % {"action": action})
        application = selectors.application_for_user(request.user, reference_no)
        data.is_valid(raise_exception=True)
        run(application, request.user, data.validated_data)
        fresh = selectors.application_for_user(request.user, reference_no)
        return Response(selectors.representation(fresh, request.user))


def scheme_json(scheme, today) -> dict:
    return {
        "code": scheme.code,
        "name": scheme.name,
        "kind": scheme.kind,
        "stages": scheme.stage_list,
        "year": scheme.year,
        "term": scheme.term,
        "status": scheme.status_on(today),
        "opens_on": scheme.opens_on.isoformat(),
        "closes_on": scheme.closes_on.isoformat(),
        "levels": [
            {"level": lv.level, "name": lv.name, "amount": f"{lv.amount_fen / 100:.2f}"}
            for lv in scheme.levels.all()
        ],
    }


class SchemeListView(APIView):
    """Public: the schemes, their levels and amounts (no sign-in)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(summary="Aid schemes (public)", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        today = cases.local_today()
        return _paginated(self, request, [scheme_json(s, today) for s in selectors.schemes_public()])


class InvitationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Your aid invitations (应助尽助)", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return _paginated(
            self, request, [invitation_json(i) for i in selectors.invitations_for_user(request.user)]
        )


class InvitationActionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="accept (opens the application, checks passed) / decline", request=None,
                   responses={200: OpenApiTypes.OBJECT})  # fmt: skip
    def post(self, request, pk: int, action: str):
        if action not in ("accept", "decline"):
            raise exceptions.NotFound(_("Unknown action %(action)s.") % {"action": action})
        invitation = Invitation.objects.filter(pk=pk, service__code="AID").first()
        if invitation is None or not invitation.may_answer(request.user):
            raise exceptions.NotFound()
        if action == "accept":
            invitation_accept(invitation=invitation, by=request.user)
        else:
            invitation_decline(invitation=invitation, by=request.user)
        invitation.refresh_from_db()
        body = invitation_json(invitation)
        return Response(body)
