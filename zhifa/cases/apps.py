from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "zhifa.cases"
    label = "cases"

    def ready(self) -> None:
        # Imported here, not at module level: these modules load models, which needs a ready app registry.
        from zhifa.cases import streams
        from zhifa.cases.deepcheck import check_cases
        from zhifa.records import deep

        streams.register()  # "case/<uuid>" streams belong to the case's agency (issue 9 defect 1)
        deep.register("cases", check_cases)  # `zhifa verify --deep` (ADR 0017)
