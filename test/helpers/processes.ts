// The process and service helpers are tooling shared with load-tests/ and scripts/: they live in scripts/lib.
export * from '../../scripts/lib/processes.ts';
