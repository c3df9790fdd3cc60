-- The queue is read in id order within a state (the scheduler's snapshot,
-- GET /api/jobs?state=queued); this index serves both without a sort.
CREATE INDEX jobs_by_state_id ON jobs (state, id);
