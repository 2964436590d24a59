"""The reform figures page (改革成效, /figures/) and its xlsx export, for bureau staff and superusers."""

import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.models import Role
from portal.cases.figures import Figures, reform_figures
from portal.core.forms import AccessibleFormMixin

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FiguresFilterForm(AccessibleFormMixin, forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("Accepted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("Accepted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data


def _require_bureau(user) -> None:
    if not (user.is_superuser or user.role == Role.BUREAU):
        raise PermissionDenied(_("The reform figures are for bureau staff."))


def _report(request):
    form = FiguresFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    return form, reform_figures(request.user, date_from=data.get("date_from"), date_to=data.get("date_to"))


def _percent(value) -> float:
    return round(100 * value, 1) if value is not None else 0.0


def _chart_rows(report, attribute: str) -> list[dict]:
    return [
        {"name": f.name, "value": getattr(f, attribute), "percent": _percent(getattr(f, attribute))}
        for f in report.items
    ]


@login_required
def figures_page(request):
    _require_bureau(request.user)
    form, report = _report(request)
    if report is None:
        return render(request, "cases/figures.html", {"form": form, "report": None}, status=400)
    charts = [
        (_("Share of cases with zero visits"), _chart_rows(report, "zero_visit_share")),
        (_("Share fully online"), _chart_rows(report, "fully_online_share")),
        (_("Share of materials fetched rather than uploaded"), _chart_rows(report, "fetched_share")),
        (_("On-time rate"), _chart_rows(report, "on_time_rate")),
    ]
    context = {"form": form, "report": report, "charts": charts, "query": request.GET.urlencode()}
    return render(request, "cases/figures.html", context)


COLUMNS = [
    # header, value of a Figures row, number format
    (gettext_lazy("Service item"), lambda f: f.name, None),
    (gettext_lazy("Code"), lambda f: f.code, None),
    (gettext_lazy("Number of cases"), lambda f: f.cases, "0"),
    (gettext_lazy("Visits per case"), lambda f: f.visits_per_case, "0.00"),
    (gettext_lazy("Zero-visit share"), lambda f: f.zero_visit_share, "0.0%"),
    (gettext_lazy("Fully online share"), lambda f: f.fully_online_share, "0.0%"),
    (gettext_lazy("Materials fetched"), lambda f: f.fetched, "0"),
    (gettext_lazy("Materials uploaded"), lambda f: f.uploaded, "0"),
    (gettext_lazy("Fetched share"), lambda f: f.fetched_share, "0.0%"),
    (gettext_lazy("Decided cases"), lambda f: f.decided, "0"),
    (gettext_lazy("On time"), lambda f: f.on_time, "0"),
    (gettext_lazy("On-time rate"), lambda f: f.on_time_rate, "0.0%"),
    (gettext_lazy("Median duration (calendar days)"), lambda f: f.median_days, "0.0"),
    (gettext_lazy("Ratings"), lambda f: f.ratings, "0"),
    (gettext_lazy("Average rating"), lambda f: f.rating_average, "0.00"),
]


def figures_workbook(report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Reform figures")
    period = "{} – {}".format(
        report.date_from.isoformat() if report.date_from else "…",
        report.date_to.isoformat() if report.date_to else "…",
    )
    sheet.append([_("Reform figures"), _("Cases accepted %(period)s") % {"period": period}])
    sheet.append([str(header) for header, _value, _format in COLUMNS])
    total = Figures(**{**report.total.__dict__, "name": _("Total")})
    for f in [*report.items, total]:
        sheet.append([value(f) for _header, value, _format in COLUMNS])
    for row in sheet.iter_rows(min_row=3):
        for cell, (_header, _value, number_format) in zip(row, COLUMNS, strict=True):
            if number_format:
                cell.number_format = number_format
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 36
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@login_required
def figures_export(request):
    _require_bureau(request.user)
    form, report = _report(request)
    if report is None:
        return render(request, "cases/figures.html", {"form": form, "report": None}, status=400)
    response = HttpResponse(figures_workbook(report), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "改革成效.xlsx")
    return response
