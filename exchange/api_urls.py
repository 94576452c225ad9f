from django.urls import path

from exchange import api

urlpatterns = [
    path("imports/", api.ImportListCreate.as_view(), name="exchange-imports"),
    path("imports/<int:batch_id>/", api.ImportDetail.as_view(), name="exchange-import"),
    path(
        "imports/<int:batch_id>/errors/", api.ImportErrors.as_view(), name="exchange-import-errors"
    ),
    path("exports/<str:kind>/", api.ExportDownload.as_view(), name="exchange-export"),
]
