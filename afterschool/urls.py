"""/afterschool/: the guardian's pages and the school's."""

from django.urls import path

from afterschool import views

app_name = "afterschool"
urlpatterns = [
    path("", views.home, name="home"),
    path("programs/<int:program_id>/apply/", views.apply, name="apply_program"),
    path("applications/<str:reference_no>/", views.application, name="application"),
    path("applications/<str:reference_no>/<str:action>/", views.act, name="act"),
    path("school/", views.school, name="school"),
    path("school/programs/<int:program_id>/waitlist/", views.program_waitlist, name="waitlist"),
    path("school/slots/<int:slot_id>/capacity/", views.slot_capacity, name="capacity"),
    path("school/review/<str:reference_no>/", views.review, name="review"),
]
