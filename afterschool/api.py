"""/api/v1/afterschool/ (contracts/api-services.md): programmes (read) and applications (create, list,
detail, actions). Views translate HTTP to service calls; refusals become 403 / 409 in the exception
handler. Reads go through the selectors, so a reference number outside the user's scope answers 404."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from afterschool import selectors, services
from afterschool.models import Program
from afterschool.serializers import (
    ActionSerializer,
    ApplicationCreateSerializer,
    ApplicationSerializer,
    ProgramSerializer,
)
from portal.core.api import DetailSerializer


def _change_slot(*, application, by, note, slot=None):
    if not slot:
        from django.core.exceptions import ValidationError

        if not application.the_guardian(application, by):
            raise exceptions.PermissionDenied(services.forbidden_for(application, by, "change_slot"))
        raise ValidationError({"slot": [_("Choose the leave time you want.")]})
    return services.application_change_slot(application=application, by=by, slot=slot, note=note)


ACTIONS = {
    "approve": lambda *, application, by, note, **_: services.application_approve(
        application=application, by=by, note=note
    ),
    "reject": lambda *, application, by, note, **_: services.application_reject(
        application=application, by=by, note=note
    ),
    "change_slot": _change_slot,
    "withdraw": lambda *, application, by, note, **_: services.application_withdraw(
        application=application, by=by, note=note
    ),
}
REFERENCE_NO = OpenApiParameter("reference_no", str, OpenApiParameter.PATH)


class ProgramListView(generics.ListAPIView):
    serializer_class = ProgramSerializer

    def get_queryset(self):
        qs = selectors.programs_visible()
        school = self.request.query_params.get("school")
        if school:
            qs = qs.filter(school__code=school)
        return qs

    @extend_schema(
        summary="After-school programmes (filter by ?school=CODE)",
        parameters=[OpenApiParameter("school", str, required=False)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProgramDetailView(generics.RetrieveAPIView):
    serializer_class = ProgramSerializer

    def get_queryset(self):
        return selectors.programs_visible()

    @extend_schema(summary="One programme with its slots and seats")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _body(request, reference_no: str):
    application = selectors.application_for_user(request.user, reference_no)
    return ApplicationSerializer(application, context={"user": request.user}).data


class ApplicationListView(generics.ListCreateAPIView):
    serializer_class = ApplicationSerializer

    def get_queryset(self):
        return selectors.applications_for_user(self.request.user).prefetch_related("case__events")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "user": self.request.user}

    @extend_schema(summary="Your after-school applications (staff: those in your scope)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Apply for your child's after-school place",
        request=ApplicationCreateSerializer,
        responses={
            201: ApplicationSerializer,
            400: OpenApiResponse(description="Invalid input, a message per field."),
            403: OpenApiResponse(DetailSerializer, description="The child is not yours by the registries."),
            409: OpenApiResponse(DetailSerializer, description="A rule forbids it now (says which)."),
        },
    )
    def post(self, request, *args, **kwargs):
        data = ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        program = (
            Program.objects.select_related("school", "fee_item")
            .filter(pk=data.validated_data["program_id"])
            .first()
        )
        if program is None:
            raise exceptions.ValidationError({"program_id": [_("No such programme.")]})
        application = services.application_submit(
            guardian=request.user,
            program=program,
            student_id_number=data.validated_data["student_id_number"],
            slot=data.validated_data["slot"],
        )
        return Response(_body(request, application.case.reference_no), status=status.HTTP_201_CREATED)


class ApplicationDetailView(APIView):
    @extend_schema(
        summary="One application with its trace", parameters=[REFERENCE_NO], responses=ApplicationSerializer
    )
    def get(self, request, reference_no: str):
        return Response(_body(request, reference_no))


class ApplicationActionView(APIView):
    @extend_schema(
        summary="Act on an application",
        description=(
            "School: `approve`, `reject` (note required). Guardian: `change_slot` (with `slot`), `withdraw`."
        ),
        parameters=[REFERENCE_NO, OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS))],
        request=ActionSerializer,
        responses={
            200: ApplicationSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            409: DetailSerializer,
        },
    )
    def post(self, request, reference_no: str, action: str):
        service = ACTIONS.get(action)
        if service is None:
            raise exceptions.NotFound(_("Unknown action %(action)s.") % {"action": action})
        application = selectors.application_for_user(request.user, reference_no)
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        service(application=application, by=request.user, **data.validated_data)
        return Response(_body(request, reference_no))
