from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import home

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("collections_app.api_urls")),
    path("", include("compliance.api_urls")),
    path("", include("messaging.api_urls")),
    path("", include("manager.api_urls")),
    path("", include("audit.api_urls")),
    path("", include("exchange.api_urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI sets inline style attributes; scripts stay 'self' only.
        login_not_required(
            csp_update({"style-src": ["'unsafe-inline'"]})(
                SpectacularSwaggerSplitView.as_view(url_name="api-schema")
            )
        ),
        name="api-docs",
    ),
    path("", include("collections_app.urls")),
    path("manager/", include("manager.urls")),
    path("audit/", include("audit.urls")),
    path("exchange/", include("exchange.urls")),
    path("messaging/", include("messaging.urls")),
    path("health/", include("config.health")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
