"""The public portal, mounted at the site root (no login)."""

from django.urls import path

from zhifa.disclosure import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("agency/<uuid:agency_id>/", views.agency_detail, name="agency"),
    path("agency/<uuid:agency_id>/remedies/", views.agency_remedies, name="agency_remedies"),
    path("agency/<uuid:agency_id>/<slug:section>/", views.agency_section, name="agency_section"),
    path("entry/<uuid:public_id>/", views.entry_detail, name="entry"),
    path("entry/<uuid:public_id>/flowchart.svg", views.entry_flowchart, name="entry_flowchart"),
    path("entry/<uuid:public_id>/report.pdf", views.stats_report_file, {"fmt": "pdf"}, name="stats_pdf"),
    path("entry/<uuid:public_id>/report.xlsx", views.stats_report_file, {"fmt": "xlsx"}, name="stats_xlsx"),

    path("history/", views.history, name="history"),
    path("history/<uuid:public_id>/", views.history_package, name="history_package"),
    path("history/<uuid:public_id>/download/", views.history_package_download, name="history_package_download"),
]
