"""The ``"documents"`` list every case detail carries (contracts/api-services.md)."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from portal.documents.models import DocumentKind, DocumentStatus


@extend_schema_serializer(component_name="CaseDocument")
class CaseDocumentSerializer(serializers.Serializer):
    document = serializers.ChoiceField(choices=DocumentKind.choices)
    url = serializers.URLField(allow_null=True, help_text="The PDF; null once revoked or superseded.")
    verify_url = serializers.URLField(help_text="The address the document's QR code carries.")
    status = serializers.ChoiceField(choices=DocumentStatus.choices)
