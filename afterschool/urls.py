"""/afterschool/: the guardian's pages and the school's."""

from django.urls import path

from afterschool import views

app_name = "afterschool"
urlpatterns = [
    path("", views.home, name="home"),
    path("programs/<int:program_id>/apply/", views.apply, name="apply_program"),
    path("applications/<str:reference_no>/", views.application, name="application"),
    path("applications/<str:reference_no>/collectors/", views.collector_add, name="collector_add"),
    path(
        "applications/<str:reference_no>/collectors/<int:collector_id>/remove/",
        views.collector_remove,
        name="collector_remove",
    ),
    path("applications/<str:reference_no>/<str:action>/", views.act, name="act"),
    path("school/", views.school, name="school"),
    path("school/programs/<int:program_id>/waitlist/", views.program_waitlist, name="waitlist"),
    path("school/slots/<int:slot_id>/capacity/", views.slot_capacity, name="capacity"),
    path("school/review/<str:reference_no>/", views.review, name="review"),
    path("school/rosters/", views.rosters, name="rosters"),
    path("school/rosters/print/", views.roster_print, name="roster_print"),
    path("school/rosters/roster.xlsx", views.roster_xlsx, name="roster_xlsx"),
    path("school/rosters/<int:slot_id>/", views.roster_slot, name="roster_slot"),
]
