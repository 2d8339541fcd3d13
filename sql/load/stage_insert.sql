-- One validated, pseudonymised chunk (registered as `chunk`) into the staging table.
INSERT INTO stage BY NAME
SELECT * FROM chunk;
