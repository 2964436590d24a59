"""Archive pages: school clerks, bureau staff and auditors find and retrieve the packages of the cases in
their scope (every retrieval is logged by the service); bureau staff see and re-run the four-properties
check and the list of packages due for disposal review. Reads go through the selectors (a package outside
the user's scope is a 404), writes through the services."""

import datetime as dt
import tempfile
import zipfile

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from archive import selectors, services
from archive.checks import CheckReport, Property
from archive.forms import PackageSearchForm, RetentionForm
from archive.models import PackageCheck
from archive.package import DOCUMENT
from archive.services import DownloadWhat
from portal.core.views import role_required

PER_PAGE = 30


staff_required = role_required(
    selectors.is_archive_staff, "The archive is for school clerks, bureau staff and auditors."
)
bureau_required = role_required(selectors.is_bureau, "Only bureau staff check archive packages.")


@staff_required
def package_list(request):
    form = PackageSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    packages = selectors.packages_for_user(
        request.user,
        query=filters.get("q") or "",
        service=filters.get("service") or "",
        year=filters.get("year"),
    )
    page = Paginator(packages, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "is_bureau": selectors.is_bureau(request.user),
    }
    return render(request, "archive/list.html", context, status=status)


@staff_required
def package_detail(request, archival_code: str):
    package = selectors.package_for_user(request.user, archival_code)
    context = {
        "package": package,
        "latest_check": package.checks.first(),
        "downloads": package.downloads.select_related("by")[:20],
        "is_bureau": selectors.is_bureau(request.user),
    }
    return render(request, "archive/detail.html", context)


@staff_required
def download_package(request, archival_code: str):
    """The whole package as a ZIP (document, attachments, manifest) under a folder named by the code."""
    package = selectors.package_for_user(request.user, archival_code)
    folder = services.package_download(package=package, by=request.user, what=DownloadWhat.PACKAGE)
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - FileResponse closes it
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{package.archival_code}/{path.relative_to(folder).as_posix()}")
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=f"{package.archival_code}.zip", content_type="application/zip"
    )


@staff_required
def download_document(request, archival_code: str):
    package = selectors.package_for_user(request.user, archival_code)
    folder = services.package_download(package=package, by=request.user, what=DownloadWhat.DOCUMENT)
    return FileResponse(
        (folder / DOCUMENT).open("rb"),
        as_attachment=True,
        filename=f"{package.archival_code}.pdf",
        content_type="application/pdf",
    )


def _grouped(check: PackageCheck | None) -> list[tuple[str, list]]:
    if check is None:
        return []
    report = CheckReport.from_json(check.items)
    return [
        (str(prop.label), [item for item in report.items if item.property == prop.value]) for prop in Property
    ]


@bureau_required
def package_check(request, archival_code: str):
    """四性检测: the latest result item by item; POST runs the check again (and records it)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    package = selectors.package_for_user(request.user, archival_code)
    if request.method == "POST":
        check = services.package_verify(package=package, by=request.user)
        if check.passed:
            messages.success(request, _("The package passed every check."))
        else:
            messages.error(request, _("The package FAILED the check: see the items marked as failed."))
        return redirect("archive:check", archival_code=package.archival_code)
    check = package.checks.first()
    context = {
        "package": package,
        "check": check,
        "groups": _grouped(check),
        "history": package.checks.all()[:10],
    }
    return render(request, "archive/check.html", context)


@bureau_required
def retention(request):
    """Packages whose retention period ends within the chosen number of days: due for appraisal (到期鉴定)
    before any disposal. Nothing is disposed of here."""
    form = RetentionForm(request.GET or None)
    days = form.cleaned_data.get("within_days") if form.is_valid() else None
    days = 90 if days is None else days
    today = timezone.localdate()
    packages = selectors.due_for_review(request.user, on_or_before=today + dt.timedelta(days=days))
    page = Paginator(packages, PER_PAGE).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {"form": form, "page": page, "days": days, "today": today}
    return render(request, "archive/retention.html", context, status=status)
