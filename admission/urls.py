"""/admission/ pages."""

from django.urls import path

from admission.views import bureau, public

app_name = "admission"
urlpatterns = [
    path("", public.notices, name="notices"),
    path("notices/<str:code>/<int:year>/", public.school_notice, name="notice"),
    path("notices/<str:code>/<int:year>/object/", public.object_to_notice, name="object"),
    path("draws/<int:pk>/inputs.json", public.run_inputs, name="run_inputs"),
    path("tools/<str:name>", public.tool, name="tool"),
    path("admission-notice/<str:reference_no>.pdf", public.notice_pdf, name="notice_pdf"),
    path("rounds/", bureau.rounds, name="rounds"),
    path("rounds/<int:pk>/", bureau.round_detail, name="round"),
    path("rounds/<int:pk>/seed/", bureau.publish_seed, name="publish_seed"),
    path("rounds/<int:pk>/run/", bureau.start_run, name="start_run"),
    path("runs/<int:pk>/", bureau.run_detail, name="run"),
    path("runs/<int:pk>/progress.json", bureau.run_progress, name="run_progress"),
    path("objections/", bureau.objection_list, name="objections"),
    path("objections/<int:pk>/", bureau.objection_detail, name="objection"),
    path("early-warning/", bureau.early_warning, name="early_warning"),
    path("zones/import/", bureau.zones_import, name="zones_import"),
]
