from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "zhifa.cases"
    label = "cases"

    def ready(self) -> None:
        # Imported here, not at module level: these modules load models, which needs a ready app registry.
        from zhifa.cases import engine, streams
        from zhifa.cases.deepcheck import check_cases
        from zhifa.cases.kinds import inspection, penalty, simple
        from zhifa.records import deep

        for kind in (penalty.PENALTY, simple.SIMPLE, inspection.INSPECTION):  # the state tables (ADR 0024)
            engine.register(kind)
        streams.register()  # "case/<uuid>" streams belong to the case's agency (issue 9 defect 1)
        deep.register("cases", check_cases)  # `zhifa verify --deep` (ADR 0017)
