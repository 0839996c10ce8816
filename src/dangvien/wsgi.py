import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangvien.settings")
application = get_wsgi_application()

# Load every view module now (through the URLconf) rather than on the first request, then move what
# startup made (modules, classes, settings: a few hundred thousand objects that live as long as the
# process) out of the cyclic garbage collector's sight. Its full collections otherwise walk all of
# them, ~50 ms each, set off by any page that holds many objects at once (the adoption report of a
# province: docs/benchmarks.md); frozen objects are never collected, and these never die anyway.
get_resolver().url_patterns  # noqa: B018 (the import is the point)
gc.freeze()
