from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerfConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "perf"
    verbose_name = _("Benchmarks")
