"""/api/v1/licensing/ (contracts/api-services.md): applications, the public lists and inspections.

Views translate HTTP to service calls only. Refusals: ``ActionNotAllowed`` → 409 and ``PermissionDenied``
→ 403 through portal.core.api.exception_handler; field errors → 400; a case out of scope → 404.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from licensing import selectors, services
from licensing.models import ApplicationState
from licensing.serializers import (
    ActionSerializer,
    ApplicationCreateSerializer,
    ApplicationSerializer,
    UploadSerializer,
)
from portal.accounts.models import Role
from portal.core.api import Conflict, FirstRendererNegotiation

ISSUED = {ApplicationState.LICENCE_ISSUED, ApplicationState.DELIVERED}


class ApplicationListView(generics.ListCreateAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ApplicationSerializer

    def get_queryset(self):
        return selectors.applications_for_user(self.request.user)

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationSerializer})
    def post(self, request, *args, **kwargs):
        data = ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_apply(applicant=request.user, **data.validated_data)
        fresh = selectors.application_for_user(request.user, application.case.reference_no)
        return Response(ApplicationSerializer(fresh).data, status=status.HTTP_201_CREATED)


class ApplicationDetailView(APIView):
    @extend_schema(summary="One licensing application", responses={200: ApplicationSerializer})
    def get(self, request, reference_no: str):
        return Response(
            ApplicationSerializer(selectors.application_for_user(request.user, reference_no)).data
        )


def act(application, user, action: str, note: str, missing) -> None:
    """``approve`` / ``reject``: the reviewer's department's part of the joint review, or the bureau's
    acceptance and decision; ``supplement`` and ``withdraw``: the applicant."""
    if action == "supplement":
        services.application_supplement(application=application, by=user, note=note)
    elif action == "withdraw":
        services.application_withdraw(application=application, by=user, note=note)
    elif action in ("approve", "reject") and getattr(user, "role", "") == Role.REVIEWER:
        review = services.review_for(application, user)
        services.review_decide(review=review, by=user, approve=action == "approve", note=note)
    elif action == "approve":
        services.application_approve(application=application, by=user, note=note, missing=missing)
    elif action == "reject":
        services.application_reject(application=application, by=user, note=note)
    else:
        raise exceptions.NotFound(_("Unknown action %(action)s.") % {"action": action})


class ApplicationActionView(APIView):
    @extend_schema(
        summary="supplement (applicant); approve / reject (each department, then the bureau)",
        request=ActionSerializer,
        responses={200: ApplicationSerializer},
    )
    def post(self, request, reference_no: str, action: str):
        application = selectors.application_for_user(request.user, reference_no)
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        act(application, request.user, action, data.validated_data["note"], data.validated_data["missing"])
        fresh = selectors.application_for_user(request.user, reference_no)
        return Response(ApplicationSerializer(fresh).data)


class AttachmentView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(summary="Upload a material (multipart file, kind)", request=UploadSerializer,
                   responses={201: OpenApiResponse(description="stored")})  # fmt: skip
    def post(self, request, reference_no: str):
        application = selectors.application_for_user(request.user, reference_no)
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.material_upload(
            application=application,
            by=request.user,
            kind=data.validated_data["kind"],
            uploaded_file=data.validated_data["file"],
        )
        return Response(
            {"id": attachment.pk, "kind": attachment.kind, "name": attachment.original_name},
            status=status.HTTP_201_CREATED,
        )


class LicencePdfView(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="The school licence as PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request, reference_no: str):
        application = selectors.application_for_user(request.user, reference_no)
        if application.state not in ISSUED:
            raise Conflict(_("The licence exists once it is issued."))
        from licensing.licence import render_licence_pdf

        response = HttpResponse(render_licence_pdf(application), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            False, f"办学许可证-{application.licence_no}.pdf"
        )
        return response


class ListsView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(summary="The white and black lists (public)", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(selectors.public_lists())


class InspectionsView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(summary="Published random inspections (public)", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        rows = selectors.published_inspections()
        return Response({"count": len(rows), "next": None, "previous": None, "results": rows})
