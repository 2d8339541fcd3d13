-- Settings for the loading connection: no terminal progress bar (the loader draws its own), insertion
-- order not kept unless a statement needs it (lets large INSERT … SELECT stream), and a memory ceiling
-- under which the staging tables and the marts' joins, windows and sorts spill to the temporary
-- directory beside the database (daperf.db) instead of growing with the batch; the Python side of the
-- load (a batch of rows being checked) comes on top of it: the national batch peaks at about 2.8 GB.
SET enable_progress_bar = false;
SET preserve_insertion_order = false;
SET memory_limit = '2GB';
