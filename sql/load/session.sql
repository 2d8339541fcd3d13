-- Settings for the loading connection: no terminal progress bar (the loader draws its own), insertion
-- order not kept (lets large INSERT … SELECT stream), and a memory ceiling so a national batch spills the
-- staging table to disk instead of growing with the file.
SET enable_progress_bar = false;
SET preserve_insertion_order = false;
SET memory_limit = '2GB';
