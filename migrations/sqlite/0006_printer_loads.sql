-- What each printer has loaded, per tool, as a JSON array of
-- {"material": …, "colour": …}: state a technician changes, not
-- configuration (printers.toml's `materials` is only the first load).
ALTER TABLE printers ADD COLUMN loaded_json TEXT;
