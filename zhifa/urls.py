from django.urls import include, path

from zhifa.api import api
from zhifa.common.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # the minimal view (bench/http.py); no database work
    path("accounts/", include("zhifa.accounts.urls")),
    path("staff/records/", include("zhifa.records.urls")),
    path("staff/cases/", include("zhifa.cases.urls")),
    path("staff/documents/", include("zhifa.documents.urls")),
    path("staff/review/", include("zhifa.review.urls")),
    path("staff/disclosure/dualpub/", include("zhifa.disclosure.dualpub.urls")),
    path("staff/disclosure/decisions/", include("zhifa.disclosure.decisions.urls")),
    path("staff/stats/", include("zhifa.stats.urls")),
    path("staff/disclosure/stats/", include("zhifa.disclosure.statspub_views")),
    path("staff/", include("zhifa.registry.urls")),
    path("transparency/", include("zhifa.records.public_urls")),
    path("api/v1/", api.urls),
    path("", include("zhifa.disclosure.urls")),
]
