"""Staff pages of the stats app, mounted at /staff/stats/ (namespace "stats")."""

from django.urls import path

from zhifa.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.report, name="report"),
    path("<int:year>/xlsx", views.download, name="xlsx"),
    path("<int:year>/pdf", views.download, {"fmt": "pdf"}, name="pdf"),
    path("<int:year>/narrative", views.narrative, name="narrative"),
    path("<int:year>/freeze", views.freeze, name="freeze"),
]
