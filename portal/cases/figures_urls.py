from django.urls import path

from portal.cases import figures_views

app_name = "figures"
urlpatterns = [
    path("", figures_views.figures_page, name="page"),
    path("export.xlsx", figures_views.figures_export, name="export"),
]
