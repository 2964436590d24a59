"""Putting a service's ValidationError on a page's form."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_service_errors(
    form: forms.Form, exc: ValidationError, *, aliases: dict[str, str] | None = None
) -> None:
    """Add the messages of ``exc`` (raised by a service) to ``form``.

    A message keyed by one of the form's visible fields goes to that field (``aliases`` renames service
    argument names to form field names); any other message — ``non_field_errors``, a field the form does
    not show — goes to the top of the form, so no message is lost and none raises."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        field = aliases.get(key, key)
        if field in form.fields and not form.fields[field].widget.is_hidden and field != NON_FIELD_ERRORS:
            form.add_error(field, messages)
        else:
            form.add_error(None, messages)


class AccessibleFormMixin:
    """Point each invalid input at its error message (``aria-invalid``, ``aria-describedby``), so a
    screen reader reads the message with the field. The ids match templates/includes/field.html."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            described = [f"{bound.auto_id}-error"]
            if self.fields[name].help_text:
                described.append(f"{bound.auto_id}_helptext")
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = " ".join(described)
