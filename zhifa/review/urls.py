"""Staff pages of the review app, mounted at /staff/review/ (namespace "review")."""

from django.urls import path  # noqa: F401

app_name = "review"
urlpatterns: list = []
