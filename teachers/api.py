"""/api/v1/teachers/ (contracts/api-services.md): certificates and honours.

Views translate HTTP to service calls only. Refusals: ``ActionNotAllowed`` → 409 and ``PermissionDenied``
→ 403 through portal.core.api.exception_handler; field errors → 400; another person's case → 404.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.api import Conflict, FirstRendererNegotiation
from teachers import selectors, services
from teachers.models import CertificateState, HonourState
from teachers.serializers import (
    ActionSerializer,
    CertificateCreateSerializer,
    CertificateSerializer,
    HonourAcceptSerializer,
    HonourSerializer,
    offered_honour_data,
)

CERTIFICATE_ACTIONS = {"approve": services.certificate_approve, "reject": services.certificate_reject}
ISSUED_STATES = {CertificateState.CERTIFICATE_ISSUED, CertificateState.DELIVERED}


class CertificateListView(generics.ListCreateAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CertificateSerializer

    def get_queryset(self):
        return selectors.applications_for_user(self.request.user)

    def post(self, request, *args, **kwargs):
        data = CertificateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.certificate_apply(applicant=request.user, **data.validated_data)
        fresh = selectors.applications_for_user(request.user).get(pk=application.pk)
        return Response(CertificateSerializer(fresh).data, status=status.HTTP_201_CREATED)


class CertificateDetailView(APIView):
    @extend_schema(summary="One teacher-certificate application", responses={200: CertificateSerializer})
    def get(self, request, reference_no: str):
        return Response(
            CertificateSerializer(selectors.application_for_user(request.user, reference_no)).data
        )


class CertificateActionView(APIView):
    @extend_schema(
        summary="approve / reject (bureau staff; reject needs a note)",
        request=ActionSerializer,
        responses={200: CertificateSerializer},
    )
    def post(self, request, reference_no: str, action: str):
        service = CERTIFICATE_ACTIONS.get(action)
        if service is None:
            raise exceptions.NotFound(_("Unknown action %(action)s.") % {"action": action})
        application = selectors.application_for_user(request.user, reference_no)
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        service(application=application, by=request.user, note=data.validated_data["note"])
        fresh = selectors.application_for_user(request.user, reference_no)
        return Response(CertificateSerializer(fresh).data)


class CertificatePdfView(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="The teacher certificate as PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request, reference_no: str):
        application = selectors.application_for_user(request.user, reference_no)
        if application.state not in ISSUED_STATES:
            raise Conflict(_("The certificate exists once it is issued."))
        from teachers import certificate, documents

        if documents.certificate_revoked(application) is not None:
            raise Conflict(_("The certificate was revoked; it can no longer be downloaded."))

        return _pdf(
            certificate.render_certificate_pdf(application), f"教师资格证书-{application.certificate_no}.pdf"
        )


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


class HonourListView(APIView):
    """The teacher's honours: those still offered (open invitations, no reference number yet) first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Your honours (offered ones first, with their invitation id)",
        operation_id="v1_teachers_honours_list",
        responses={200: HonourSerializer(many=True)},
    )
    def get(self, request):
        rows = [
            offered_honour_data(i) for i in selectors.offered_honours(request.user).select_related("service")
        ]
        rows += HonourSerializer(selectors.honours_for_user(request.user), many=True).data
        paginator = generics.GenericAPIView.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(page)


class HonourDetailView(APIView):
    @extend_schema(summary="One honour (by reference number, or an offered one by invitation id)",
                   responses={200: HonourSerializer})  # fmt: skip
    def get(self, request, reference_no: str):
        if reference_no.isdigit():
            invitation = selectors.offered_honour(request.user, int(reference_no))
            return Response(offered_honour_data(invitation))
        return Response(HonourSerializer(selectors.honour_for_user(request.user, reference_no)).data)


class HonourActionView(APIView):
    """``accept`` with ``delivery_address``. An offered honour has no reference number yet: it is named by
    its ``invitation`` id (from the list); an accepted one by its reference number (then 409)."""

    @extend_schema(summary="accept with delivery_address", request=HonourAcceptSerializer,
                   responses={200: HonourSerializer})  # fmt: skip
    def post(self, request, reference_no: str, action: str):
        if action != "accept":
            raise exceptions.NotFound(_("Unknown action %(action)s.") % {"action": action})
        data = HonourAcceptSerializer(data=request.data)
        if reference_no.isdigit():
            from portal.invitations.models import Invitation

            invitation = Invitation.objects.filter(pk=int(reference_no), service__code="HON").first()
            if invitation is None:
                raise exceptions.NotFound()
            if not invitation.may_answer(request.user):
                raise exceptions.PermissionDenied(_("Only the teacher offered the honour can accept it."))
            data.is_valid(raise_exception=True)
            honour = services.honour_accept(
                invitation=invitation,
                delivery_address=data.validated_data["delivery_address"],
                by=request.user,
            )
        else:
            honour = selectors.honour_for_user(request.user, reference_no)
            if honour.state != HonourState.OFFERED:
                raise Conflict(_("This honour is already accepted."))
            data.is_valid(raise_exception=True)
        fresh = selectors.honour_for_user(request.user, honour.case.reference_no)
        return Response(HonourSerializer(fresh).data)


class HonourPdfView(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="The honour certificate as PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request, reference_no: str):
        honour = selectors.honour_for_user(request.user, reference_no)
        if honour.state not in (HonourState.ISSUED, HonourState.DELIVERED):
            raise Conflict(_("The honour certificate exists once it is issued."))
        from teachers import certificate

        return _pdf(certificate.render_honour_pdf(honour), f"从教三十年荣誉证书-{honour.year}.pdf")
