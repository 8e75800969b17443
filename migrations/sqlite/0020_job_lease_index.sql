-- A job's lease is read only while the job runs (claiming lapsed leases, renewing a
-- worker's own): the index keeps running jobs only. Queueing a job and finishing one no
-- longer write an entry to it, and it no longer grows with every job ever done.
DROP INDEX jobs_lease;
CREATE INDEX jobs_lease ON jobs (locked_until) WHERE status = 'running';
