-- How many records {table} holds before this file (none: every staged row is new).
SELECT count(*) FROM {table};
