from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "zhifa.workdays"
    label = "workdays"
