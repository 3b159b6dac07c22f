from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhifa.accounts"
    label = "accounts"

    def ready(self) -> None:
        from zhifa.accounts import checks, middleware  # noqa: F401  (registers the start-up check and the login clock)
