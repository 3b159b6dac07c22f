from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "zhifa.cases"
    label = "cases"

    def ready(self) -> None:
        from zhifa.cases import streams

        streams.register()  # "case/<uuid>" streams belong to the case's agency (issue 9 defect 1)
