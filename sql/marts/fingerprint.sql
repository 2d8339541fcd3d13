-- A fingerprint of every table the metrics read (row count and the sum of whole-row hashes): results
-- cached under it are reused only while the data are exactly the same.
SELECT
    (SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM incidents AS t) AS incidents,
    (SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM arrests AS t) AS arrests,
    (SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM protective_orders AS t) AS protective_orders,
    (SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM dvds AS t) AS dvds,
    (SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM marac AS t) AS marac,
    (SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM csps AS t) AS csps,
    (SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM divisions AS t) AS divisions,
    (SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM offence_codes AS t) AS offence_codes
