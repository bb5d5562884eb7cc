// The audit writer alone in a process, for the kill test: RabbitMQ bus, PostgreSQL database, small
// batches. Prints "ready" once consuming. Settings come from the parent through the environment.
import { createLogger, openDatabase } from '@authgate/shared';
import { AmqpEventBus } from '@authgate/shared/events/index';
import { startAuditWriter } from '../src/index.ts';

const log = createLogger({ level: 'silent', name: 'audit-writer-child' });
const bus = new AmqpEventBus({ url: process.env.CHILD_AMQP_URL!, namespace: process.env.CHILD_NAMESPACE!, maxLength: 1_000_000, publishTimeoutMs: 5_000, log });
const db = openDatabase({ url: process.env.CHILD_DATABASE_URL!, dataDir: '.', log });
await startAuditWriter({ AUDIT_BATCH_SIZE: Number(process.env.CHILD_BATCH_SIZE ?? 50), AUDIT_BATCH_WAIT_MS: 10, AUDIT_RETENTION_DAYS: 365 }, { events: bus, db, log });
process.stdout.write('ready\n');
