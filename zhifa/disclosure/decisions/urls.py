"""Staff pages of decision publication, mounted at /staff/disclosure/decisions/ (namespace "decisions")."""

from django.urls import path

from zhifa.disclosure.decisions import views

app_name = "decisions"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("<uuid:draft_id>/", views.detail, name="detail"),
    path("<uuid:draft_id>/<slug:step>/", views.act, name="act"),
]
