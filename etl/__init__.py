"""Extract loading: read a force's batch, validate it against the contract, pseudonymise person ids,
quarantine rows that break a rule and upsert the rest atomically (``etl.load.run_load``)."""
