from django.urls import path

from aid import views

app_name = "aid"
urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("counter/", views.counter, name="counter"),
    path("school/", views.school_queue, name="school_queue"),
    path("bureau/", views.bureau_queue, name="bureau_queue"),
    path("batches/", views.batches, name="batches"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("batches/<int:pk>/bank.xlsx", views.batch_file, name="batch_file"),
    path("figures/", views.figures, name="figures"),
    path("a/<str:reference_no>/", views.application, name="application"),
    path("a/<str:reference_no>/object/", views.object_to, name="object"),
    path("a/<str:reference_no>/<str:action>/", views.application_action, name="action"),
]
