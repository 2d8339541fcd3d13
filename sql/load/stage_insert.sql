-- Rows read, typed and pseudonymised (etl.normalise.typed_select over the file or a chunk of it: {typed})
-- into the staging table, in file order.
INSERT INTO stage BY NAME
{typed};
