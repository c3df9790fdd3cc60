-- The maintenance odometer: what each printer has done since its last
-- service. Columns on `printers` rather than a table of their own: there is
-- exactly one odometer per printer, the transaction that ends an attempt
-- already updates the printer's row (state and bed), so advancing the
-- odometer there is one more UPDATE of the same row, and reading a printer
-- reads its odometer. The history of services is in the events table
-- (`serviced` events carry the readings that were reset).
ALTER TABLE printers ADD COLUMN odometer_print_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE printers ADD COLUMN odometer_filament_mm BIGINT NOT NULL DEFAULT 0;
ALTER TABLE printers ADD COLUMN odometer_jobs BIGINT NOT NULL DEFAULT 0;
-- Unix ms of the last confirmed service, and the API key that confirmed it.
ALTER TABLE printers ADD COLUMN last_service_at BIGINT;
ALTER TABLE printers ADD COLUMN last_service_by TEXT;
