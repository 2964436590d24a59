"""/notices/ pages."""

from django.urls import path

from portal.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/object/", views.object_to_notice, name="object"),
    path("objections/", views.objection_list, name="objections"),
    path("objections/<int:pk>/", views.objection_detail, name="objection"),
]
