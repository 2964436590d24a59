from django.urls import path

from teachers import views

app_name = "teachers"
urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("certificates/<str:reference_no>/", views.certificate, name="certificate"),
    path("honours/offers/<int:invitation_id>/", views.honour_offer, name="honour_offer"),
    path("certificates/<str:reference_no>/resend/", views.certificate_resend, name="certificate_resend"),
    path("honours/<str:reference_no>/", views.honour, name="honour"),
    path("honours/<str:reference_no>/resend/", views.honour_resend, name="honour_resend"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<str:reference_no>/", views.review, name="review"),
    path("review/<str:reference_no>/revoke/", views.review_revoke, name="review_revoke"),
    path("review/<str:reference_no>/<str:action>/", views.review_action, name="review_action"),
]
