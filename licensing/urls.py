from django.urls import path

from licensing import views

app_name = "licensing"
urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("lists/", views.lists, name="lists"),
    path("inspections/", views.inspections, name="inspections"),
    path("applications/<str:reference_no>/", views.application, name="application"),
    path(
        "applications/<str:reference_no>/<str:action>/", views.application_action, name="application_action"
    ),
    path("department/", views.department_queue, name="department_queue"),
    path("department/<str:reference_no>/", views.department_case, name="department_case"),
    path("department/<str:reference_no>/<str:action>/", views.department_action, name="department_action"),
    path("bureau/", views.bureau_queue, name="bureau_queue"),
    path("bureau/<str:reference_no>/", views.bureau_case, name="bureau_case"),
    path("bureau/<str:reference_no>/<str:action>/", views.bureau_action, name="bureau_action"),
]
