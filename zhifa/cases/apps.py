from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "zhifa.cases"
    label = "cases"

    def ready(self) -> None:
        from zhifa.cases.deepcheck import check_cases
        from zhifa.records import deep

        deep.register("cases", check_cases)  # `zhifa verify --deep` (ADR 0017)
