"""Public transparency pages, mounted at /transparency/ (namespace "transparency"): no login."""

from django.urls import path

from zhifa.records import views

app_name = "transparency"
urlpatterns = [
    path("", views.transparency, name="checkpoint"),
    path("checkpoint.txt", views.transparency_checkpoint, name="checkpoint_note"),
    path("vkey.txt", views.transparency_public_key, name="public_key"),
]
