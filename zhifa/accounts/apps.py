from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhifa.accounts"
    label = "accounts"
