"""Staff pages of the review app, mounted at /staff/review/ (namespace "review")."""

from django.urls import path

from zhifa.review import views

app_name = "review"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("supervision/", views.supervision, name="supervision"),
]
