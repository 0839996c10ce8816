"""django.contrib.staticfiles, less the files nothing serves (INSTALLED_APPS names this config)."""

from django.contrib.staticfiles.apps import StaticFilesConfig as _StaticFilesConfig


class StaticFilesConfig(_StaticFilesConfig):
    """django-ninja ships ReDoc (a 0.9 MB script and its 3.3 MB source map) beside the Swagger UI that
    /api/docs uses: collected, it was compressed by every `make demo` and demo test for nothing."""

    ignore_patterns = [*_StaticFilesConfig.ignore_patterns, "ninja/redoc.*"]
