from django.urls import path

from portal.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.service_list, name="service_list"),
    path("<str:code>/", views.service_guide, name="service_guide"),
]
