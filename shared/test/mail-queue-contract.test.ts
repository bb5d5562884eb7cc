import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import amqplib from 'amqplib';
import { AppError } from '@authgate/shared/errors';
import { createLogger } from '@authgate/shared/logger';
import { AmqpMailQueue } from '@authgate/shared/mail/amqp-queue';
import type { DeadMail, MailJob, MailJobOf } from '@authgate/shared/mail/job';
import { MemoryMailQueue } from '@authgate/shared/mail/memory-queue';
import type { MailDelivery, MailOutcome, MailQueue } from '@authgate/shared/mail/types';
import { AMQP_URL, cleanupNamespace, uniqueNamespace } from '../../test/helpers/services.ts';

const log = createLogger({ level: 'silent', name: 'test' });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function resetJob(): MailJobOf<'password_reset'> {
  return {
    v: 1,
    id: randomUUID(),
    kind: 'password_reset',
    to: 'ada@example.com',
    createdAt: new Date().toISOString(),
    data: { token: randomBytes(32).toString('base64url') },
  };
}

interface MailQueueDriver {
  name: string;
  /**
   * A handle on the suite's lane. In the distributed shape each call is another process's connection
   * (a second mailer); in-process there is one lane, so the same queue.
   */
  open(): Promise<MailQueue>;
  /** A lane of its own bounded at `maxLength`, nobody consuming. */
  bounded(maxLength: number): Promise<MailQueue>;
  /** What the set-aside lane holds now, oldest first. */
  deadCopies(): Promise<DeadMail[]>;
  cleanup(): Promise<void>;
}

type Behaviour = (job: MailJob, delivery: MailDelivery) => Promise<MailOutcome>;

function mailQueueContract(driver: MailQueueDriver): void {
  describe(`mail queue contract: ${driver.name}`, () => {
    let queue: MailQueue;
    const deliveries = new Map<string, MailDelivery[]>();
    const received = new Map<string, MailJob>();
    const behaviours = new Map<string, Behaviour>();
    const reported: DeadMail[] = [];
    let inHand = 0;
    let maxInHand = 0;
    const countOf = (job: MailJob) => deliveries.get(job.id)?.length ?? 0;

    before(async () => {
      queue = await driver.open();
      await queue.consume(
        async (job, delivery) => {
          deliveries.set(job.id, [...(deliveries.get(job.id) ?? []), delivery]);
          received.set(job.id, job);
          inHand++;
          maxInHand = Math.max(maxInHand, inHand);
          try {
            return (await behaviours.get(job.id)?.(job, delivery)) ?? { outcome: 'sent' };
          } finally {
            inHand--;
          }
        },
        { prefetch: 3, onSetAside: (dead) => reported.push(dead) },
      );
    });

    after(async () => {
      await queue.close();
      await driver.cleanup();
    });

    test('ready', async () => {
      assert.equal(await queue.ready(), true);
    });

    test('a published job reaches the consumer once, intact, not redelivered', async () => {
      const job = resetJob();
      await queue.publish(job);
      const sentinel = resetJob();
      await queue.publish(sentinel);
      await waitFor('the sentinel', () => countOf(sentinel) === 1);
      await sleep(300);
      assert.equal(countOf(job), 1);
      assert.deepEqual(received.get(job.id), job);
      assert.deepEqual(deliveries.get(job.id), [{ redelivered: false }]);
    });

    test('an invalid job is refused at publish', async () => {
      const bad = { ...resetJob(), data: { token: 'short' } } as MailJob;
      await assert.rejects(queue.publish(bad));
      const noKind = { ...resetJob(), kind: 'newsletter' } as unknown as MailJob;
      await assert.rejects(queue.publish(noKind));
    });

    test('at most `prefetch` jobs in hand at once', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const jobs = Array.from({ length: 6 }, resetJob);
      for (const job of jobs)
        behaviours.set(job.id, async () => {
          await gate;
          return { outcome: 'sent' };
        });
      maxInHand = 0;
      for (const job of jobs) await queue.publish(job);
      await waitFor('three in hand', () => inHand === 3);
      await sleep(300);
      assert.equal(inHand, 3);
      release();
      await waitFor('all six', () => jobs.every((j) => countOf(j) === 1));
      assert.equal(maxInHand, 3);
    });

    test('`requeue` puts the job back; it comes round again marked redelivered', async () => {
      const job = resetJob();
      behaviours.set(job.id, async (_j, delivery) => (delivery.redelivered ? { outcome: 'sent' } : { outcome: 'requeue' }));
      await queue.publish(job);
      await waitFor('the second delivery', () => countOf(job) === 2);
      await sleep(300);
      assert.deepEqual(deliveries.get(job.id), [{ redelivered: false }, { redelivered: true }]);
    });

    test('`set_aside`: the set-aside lane and the listener get a redacted copy, never the data', async () => {
      const job = resetJob();
      behaviours.set(job.id, async () => ({ outcome: 'set_aside', reason: 'smtp_rejected', attempts: 1, responseCode: 550 }));
      await queue.publish(job);
      await waitFor('the report', () => reported.some((d) => d.id === job.id));
      const copy = reported.find((d) => d.id === job.id)!;
      assert.deepEqual(
        { ...copy, at: undefined },
        { id: job.id, kind: 'password_reset', reason: 'smtp_rejected', responseCode: 550, attempts: 1, at: undefined },
      );
      let kept: DeadMail[] = [];
      await waitFor('the kept copy', () => {
        void driver.deadCopies().then((d) => (kept = d));
        return kept.some((d) => d.id === job.id);
      });
      const serialized = JSON.stringify(kept);
      assert.ok(!serialized.includes(job.data.token), 'no token in the set-aside lane');
      assert.ok(!serialized.includes(job.to), 'no address in the set-aside lane');
      await sleep(300);
      assert.equal(countOf(job), 1, 'not delivered again');
    });

    test('a handler that throws gets the job once more, then it is set aside (delivery_limit)', async () => {
      const job = resetJob();
      behaviours.set(job.id, async () => {
        throw new Error('template exploded');
      });
      await queue.publish(job);
      await waitFor('the report', () => reported.some((d) => d.id === job.id));
      assert.equal(countOf(job), 2);
      assert.equal(reported.find((d) => d.id === job.id)!.reason, 'delivery_limit');
      await sleep(500);
      assert.equal(countOf(job), 2);
    });

    test('a consumer that stops with a job in hand gives it back to the next consumer', async () => {
      // A consumer of its own on the same lane, holding the job, then stopping.
      await queue.stopConsuming();
      const first = await driver.open();
      let held!: (outcome: MailOutcome) => void;
      const job = resetJob();
      const seenByFirst: MailJob[] = [];
      await first.consume(
        async (j) => {
          seenByFirst.push(j);
          return new Promise<MailOutcome>((resolve) => (held = resolve));
        },
        { prefetch: 1 },
      );
      await queue.publish(job);
      await waitFor('the first consumer holds it', () => seenByFirst.length === 1);
      await first.stopConsuming();
      held({ outcome: 'requeue' });
      if (first !== queue) await first.close();
      const second = await driver.open();
      const seenBySecond: MailDelivery[] = [];
      await second.consume(
        async (_j, delivery) => {
          seenBySecond.push(delivery);
          return { outcome: 'sent' };
        },
        { prefetch: 1 },
      );
      await waitFor('the second consumer gets it', () => seenBySecond.length === 1);
      assert.deepEqual(seenBySecond, [{ redelivered: true }]);
      await second.close();
    });

    test('a full lane refuses with `overloaded`', async () => {
      const bounded = await driver.bounded(2);
      await bounded.publish(resetJob());
      await bounded.publish(resetJob());
      await assert.rejects(bounded.publish(resetJob()), (err: unknown) => err instanceof AppError && err.code === 'overloaded');
      await bounded.close();
    });
  });
}

mailQueueContract(
  (() => {
    const lane = new MemoryMailQueue(1_000);
    return {
      name: 'memory',
      open: async () => lane,
      bounded: async (maxLength: number) => new MemoryMailQueue(maxLength),
      deadCopies: async () => [...lane.dead],
      cleanup: async () => {},
    };
  })(),
);

mailQueueContract(
  (() => {
    const namespace = uniqueNamespace('mailq');
    const boundedNamespaces: string[] = [];
    const open = async (ns = namespace, maxLength = 1_000) => {
      const queue = new AmqpMailQueue({ url: AMQP_URL, namespace: ns, maxLength, publishTimeoutMs: 2_000, log });
      await queue.waitForConnect();
      return queue;
    };
    return {
      name: 'amqp',
      open: () => open(),
      bounded: (maxLength: number) => {
        const ns = uniqueNamespace('mailq-bounded');
        boundedNamespaces.push(ns);
        return open(ns, maxLength);
      },
      async deadCopies() {
        const connection = await amqplib.connect(AMQP_URL);
        const channel = await connection.createChannel();
        const out: DeadMail[] = [];
        // Read without taking: every message is returned (nack + requeue) when the channel closes.
        for (let m = await channel.get(`${namespace}.mail.dead`); m; m = await channel.get(`${namespace}.mail.dead`))
          out.push(JSON.parse(m.content.toString()) as DeadMail);
        await connection.close();
        return out;
      },
      async cleanup() {
        for (const ns of [namespace, ...boundedNamespaces]) await cleanupNamespace(ns);
      },
    };
  })(),
);
