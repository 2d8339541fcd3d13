-- The next statement writes rows in the order they arrive (a staged row's rowid is its place in the file).
-- DuckDB keeps that order only while every operator of the plan can: an IN list of five or more values
-- (a boolean's spellings) would otherwise become a join, and the rows would be written in any order.
SET preserve_insertion_order = true;
SET disabled_optimizers = 'in_clause';
