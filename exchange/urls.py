from django.urls import path

from exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("batches/<int:batch_id>/progress/", views.batch_progress, name="batch_progress"),
    path("batches/<int:batch_id>/errors.csv", views.batch_errors_csv, name="batch_errors"),
    path("exports/", views.exports, name="exports"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path(
        "exceptions/<int:exception_id>/resolve/",
        views.exception_resolve_view,
        name="exception_resolve",
    ),
]
