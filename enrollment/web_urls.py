"""/enrollment/: the parent wizard and status pages, the counter and the review queue."""

from django.urls import path

from enrollment.views import counter, review, status, wizard

app_name = "enrollment"
urlpatterns = [
    path("", status.home, name="home"),
    path("apply/", wizard.apply_start, name="apply"),
    path("apply/<int:pk>/", wizard.apply_resume, name="apply_resume"),
    path("apply/<int:pk>/discard/", wizard.apply_discard, name="apply_discard"),
    path("apply/<int:pk>/<slug:slug>/", wizard.apply_step, name="apply_step"),
    path("applications/<str:reference_no>/", status.application_detail, name="application"),
    path("applications/<str:reference_no>/withdraw/", status.application_withdraw, name="withdraw"),
    path("applications/<str:reference_no>/supplement/", status.supplement_upload, name="supplement_upload"),
    path("counter/", counter.counter_start, name="counter"),
    path("counter/<str:reference_no>/", counter.counter_receipt, name="counter_receipt"),
    path("review/", review.queue, name="review_queue"),
    path("review/<str:reference_no>/", review.detail, name="review"),
    path("review/<str:reference_no>/<slug:action>/", review.act, name="review_action"),
]
