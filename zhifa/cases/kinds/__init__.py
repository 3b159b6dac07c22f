"""The case kinds, one state table each. `CasesConfig.ready` registers them with the engine (`ALL`)."""
