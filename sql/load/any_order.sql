-- Back to letting statements write rows in any order (faster, and streams), with every optimizer.
SET preserve_insertion_order = false;
RESET disabled_optimizers;
