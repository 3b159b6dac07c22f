from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "zhifa.disclosure"
    label = "disclosure"
