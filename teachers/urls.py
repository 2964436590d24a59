from django.urls import path

from teachers import views

app_name = "teachers"
urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("certificates/<str:reference_no>/", views.certificate, name="certificate"),
    path("honours/offers/<int:invitation_id>/", views.honour_offer, name="honour_offer"),
    path("honours/<str:reference_no>/", views.honour, name="honour"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<str:reference_no>/", views.review, name="review"),
    path("review/<str:reference_no>/<str:action>/", views.review_action, name="review_action"),
]
