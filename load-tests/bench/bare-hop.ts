import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { AmqpCommandQueue } from '@authgate/shared/transport/amqp-queue';
import { RedisResultBus } from '@authgate/shared/transport/redis-results';
import type { Command, Result } from '@authgate/shared/protocol';
import { AMQP_URL, cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../scripts/lib/services.ts';

/**
 * The baseline of bench (c): the bare pipeline hop a refresh rides, edge → RabbitMQ → worker → Redis
 * PUBLISH → edge, with the project's own queue and result drivers and no work at either end (a
 * `refresh` command on the session lane, answered at once). Run as its own process, SECONDS long, at
 * one in flight; prints the round trips' p50 and p99 (ms) as JSON.
 */
const seconds = Number(process.env.SECONDS ?? 3);
const namespace = uniqueNamespace('bare-hop');
const log = pino({ level: 'silent' });
const queue = new AmqpCommandQueue({ url: AMQP_URL, namespace, maxLength: 10_000, publishTimeoutMs: 3_000, log });
const edgeResults = new RedisResultBus(REDIS_URL, namespace, log);
const workerResults = new RedisResultBus(REDIS_URL, namespace, log);
const nodeId = 'bare-hop-edge';
const waiting = new Map<string, () => void>();
await edgeResults.subscribe(nodeId, (result: Result) => waiting.get(result.requestId)?.());
await queue.consume(
  async (command: Command) => {
    await workerResults.deliver({ requestId: command.requestId, replyTo: command.replyTo, ok: true, status: 200, data: {} });
  },
  { password: 2, session: 200 },
);
const samples: number[] = [];
const until = Date.now() + seconds * 1000;
while (Date.now() < until) {
  const requestId = randomUUID();
  const started = performance.now();
  const answered = new Promise<void>((resolve) => waiting.set(requestId, resolve));
  const command: Command = { v: 1, requestId, kind: 'refresh', body: {}, replyTo: { nodeId }, deadline: Date.now() + 10_000, meta: { ip: '127.0.0.1' } };
  // Timed to the result, not to the broker's confirm: the edge answers when the result comes
  // (Relay.submit does not wait for the confirm), and a persistent message's confirm waits on the
  // broker's disk. The next command still waits for this one's confirm, as before.
  const published = queue.publish(command);
  await answered;
  const answeredAt = performance.now();
  await published;
  waiting.delete(requestId);
  samples.push(answeredAt - started);
}
samples.sort((a, b) => a - b);
const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
console.log(JSON.stringify({ samples: samples.length, p50Ms: at(50), p99Ms: at(99) }));
await queue.stopConsuming();
await queue.close();
await Promise.all([edgeResults.close(), workerResults.close()]);
await cleanupNamespace(namespace);
process.exit(0);
