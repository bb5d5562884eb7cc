// The audit writer alone in a process, for the kill test: RabbitMQ bus, PostgreSQL database, small
// batches. Prints "ready" once consuming. Settings come from the parent through the environment.
import { createLogger } from '@authgate/shared/logger';
import { AmqpEventBus } from '@authgate/shared/events/amqp-bus';
import { startAuditWriter } from '../src/index.ts';
import { openPostgres } from '@authgate/shared/db/database';

const log = createLogger({ level: 'silent', name: 'audit-writer-child' });
const bus = new AmqpEventBus({ url: process.env.CHILD_AMQP_URL!, namespace: process.env.CHILD_NAMESPACE!, maxLength: 1_000_000, publishTimeoutMs: 5_000, log });
const db = openPostgres({ url: process.env.CHILD_DATABASE_URL!, poolSize: 10, log });
await startAuditWriter(
  { AUDIT_BATCH_SIZE: Number(process.env.CHILD_BATCH_SIZE ?? 50), AUDIT_BATCH_WAIT_MS: 10, AUDIT_RETENTION_DAYS: 365 },
  { events: bus, db, log },
);
process.stdout.write('ready\n');
