"""/api/v1/archive/: the packages in the caller's scope (school clerks, bureau staff, auditors), one
package's metadata and parts, and its case document as PDF — each download logged by the service, as on the
pages. Reads go through the selectors: a package outside the caller's scope is a 404."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, generics, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from archive import selectors, services
from archive.forms import PackageSearchForm
from archive.models import ArchivePackage
from archive.package import DOCUMENT

CODE = OpenApiParameter(
    "archival_code",
    str,
    OpenApiParameter.PATH,
    description="Archival code, e.g. JY330411-2027-D30-JY-ENR-2027-000123.",
)


class IsArchiveStaff(BasePermission):
    message = "The archive is for school clerks, bureau staff and auditors."

    def has_permission(self, request, view):
        return selectors.is_archive_staff(request.user)


class PartSerializer(serializers.Serializer):
    path = serializers.CharField()
    role = serializers.CharField()
    mime = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    label = serializers.CharField()


@extend_schema_serializer(component_name="ArchivePackage")
class PackageSerializer(serializers.ModelSerializer):
    reference_no = serializers.CharField(source="case.reference_no")
    service = serializers.CharField(source="case.service.code")
    parts = PartSerializer(many=True)

    class Meta:
        model = ArchivePackage
        fields = [
            "archival_code",
            "reference_no",
            "service",
            "title",
            "fonds_code",
            "fonds_name",
            "responsible",
            "document_date",
            "retention_period",
            "review_due",
            "archived_at",
            "manifest_sha256",
            "key_id",
            "size",
            "parts",
        ]


class PackageListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsArchiveStaff]
    serializer_class = PackageSerializer

    def get_queryset(self):
        form = PackageSearchForm(self.request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        return selectors.packages_for_user(
            self.request.user,
            query=form.cleaned_data.get("q") or "",
            service=form.cleaned_data.get("service") or "",
            year=form.cleaned_data.get("year"),
        )

    @extend_schema(
        summary="Archive packages in your scope, newest first",
        parameters=[
            OpenApiParameter("q", str, description="Case reference, archival code, or part of a name."),
            OpenApiParameter("service", str, description="Service code, e.g. ENR."),
            OpenApiParameter("year", int, description="Year archived."),
        ],
        responses={200: PackageSerializer(many=True), 400: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PackageDetailView(APIView):
    permission_classes = [IsAuthenticated, IsArchiveStaff]

    @extend_schema(summary="One archive package", parameters=[CODE], responses={200: PackageSerializer})
    def get(self, request, archival_code: str):
        return Response(PackageSerializer(_package(request.user, archival_code)).data)


class FirstRendererNegotiation(BaseContentNegotiation):
    """Errors as JSON whatever a PDF viewer accepts; the PDF itself needs no renderer."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PackageDocumentView(APIView):
    permission_classes = [IsAuthenticated, IsArchiveStaff]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="The package's case document (PDF/A-3b); the download is logged",
        parameters=[CODE],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request, archival_code: str):
        package = _package(request.user, archival_code)
        try:
            folder = services.package_download(
                package=package, by=request.user, what=services.DownloadWhat.DOCUMENT
            )
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return FileResponse(
            (folder / DOCUMENT).open("rb"),
            filename=f"{package.archival_code}.pdf",
            content_type="application/pdf",
        )


def _package(user, archival_code: str) -> ArchivePackage:
    try:
        return selectors.package_for_user(user, archival_code)
    except Http404 as exc:
        raise exceptions.NotFound() from exc
