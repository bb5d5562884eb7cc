import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import { ConfigError, loadConfig } from '@authgate/shared/config';
import { AppError } from '@authgate/shared/errors';
import { createLogger } from '@authgate/shared/logger';
import type { Command } from '@authgate/shared/protocol';
import { AmqpCommandQueue, commandQueueNames } from '@authgate/shared/transport/amqp-queue';
import type { Delivery } from '@authgate/shared/transport/types';
import { AMQP_URL, uniqueNamespace } from '../helpers/services.ts';

// Poison commands on the machine's RabbitMQ, classic and quorum lanes: set aside after the delivery
// limit as a copy without the body (commands carry passwords), their clients answered; commands that
// merely expired are never dead-lettered.

const log = createLogger({ level: 'silent', name: 'test' });
const PASSWORD = 'poison-password-never-kept';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function makeCommand(kind: Command['kind'] = 'login', deadlineMs = 30_000): Command {
  return {
    v: 1,
    requestId: randomUUID(),
    kind,
    body: { email: 'poison@example.test', password: PASSWORD },
    replyTo: { nodeId: 'node-poison', connectionId: 'node-poison.AAAAAAAAAAAAAAAAAAAAAA', clientId: 'c1' },
    deadline: Date.now() + deadlineMs,
    meta: { ip: '127.0.0.1' },
  };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('poison commands are set aside without their bodies', () => {
  const namespaces: string[] = [];
  const queues: AmqpCommandQueue[] = [];

  function open(options: { queueType?: 'classic' | 'quorum'; deliveryLimit?: number; namespace?: string; maxLength?: number } = {}) {
    const namespace = options.namespace ?? uniqueNamespace('poison');
    if (!namespaces.includes(namespace)) namespaces.push(namespace);
    const queue = new AmqpCommandQueue({
      url: AMQP_URL,
      namespace,
      maxLength: options.maxLength ?? 1_000,
      publishTimeoutMs: 3_000,
      queueType: options.queueType,
      deliveryLimit: options.deliveryLimit,
      log,
    });
    queues.push(queue);
    return { queue, namespace };
  }

  /** The dead letters of a namespace, taken off its `.cmd.dead` queue. */
  async function deadLetters(namespace: string): Promise<Record<string, unknown>[]> {
    const connection = await amqplib.connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      const letters: Record<string, unknown>[] = [];
      try {
        for (;;) {
          const message = await channel.get(`${namespace}.cmd.dead`, { noAck: true });
          if (!message) break;
          letters.push(JSON.parse(message.content.toString()) as Record<string, unknown>);
        }
      } catch (err) {
        // No dead queue: nothing was set aside. (amqplib rejects with the channel's close frame here.)
        const code = (err as { code?: number; fields?: { replyCode?: number } }).code ?? (err as { fields?: { replyCode?: number } }).fields?.replyCode;
        if (code !== 404) throw err;
      }
      return letters;
    } finally {
      await connection.close().catch(() => {});
    }
  }

  function assertRedacted(letter: Record<string, unknown>, command: Command): void {
    const text = JSON.stringify(letter);
    assert.equal(letter.requestId, command.requestId);
    assert.equal(letter.kind, command.kind);
    assert.equal(letter.nodeId, 'node-poison');
    assert.ok(!text.includes(PASSWORD), 'the password is in the dead letter');
    assert.ok(!text.includes('poison@example.test'), 'the body is in the dead letter');
    assert.ok(!text.includes(command.replyTo.connectionId!), 'the connectionId is in the dead letter');
    assert.deepEqual(Object.keys(letter).sort(), ['at', 'attempts', 'kind', 'nodeId', 'reason', 'requestId']);
  }

  after(async () => {
    for (const q of queues) await q.close().catch(() => {});
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    for (const ns of namespaces) {
      const commands = commandQueueNames(ns);
      for (const queue of [...commands.password, commands.session, commands.dead]) await channel.deleteQueue(queue);
    }
    await connection.close();
  });

  test('classic lane: a command that fails twice is dead-lettered once, redacted, and its client answered', async () => {
    const { queue, namespace } = open();
    const attempts: number[] = [];
    const answered: Command[] = [];
    await queue.consume(
      async (_command, delivery: Delivery) => {
        attempts.push(delivery.attempt);
        throw new Error('always fails');
      },
      { password: 2, session: 2 },
      async (command) => {
        answered.push(command);
      },
    );
    const command = makeCommand();
    await queue.publish(command);
    await waitFor('the client answer', () => answered.length === 1);
    await sleep(1_000); // a looping command would show itself now
    assert.deepEqual(attempts, [1, 2]);
    assert.equal(answered.length, 1);
    assert.equal(answered[0]!.requestId, command.requestId);
    const letters = await deadLetters(namespace);
    assert.equal(letters.length, 1);
    assertRedacted(letters[0]!, command);
    assert.equal(letters[0]!.reason, 'delivery_limit');
    assert.equal(letters[0]!.attempts, 2);
  });

  test('quorum lane: deliveries are counted exactly, up to QUEUE_DELIVERY_LIMIT', async () => {
    const { queue, namespace } = open({ queueType: 'quorum', deliveryLimit: 3 });
    const attempts: number[] = [];
    const answered: Command[] = [];
    await queue.consume(
      async (_command, delivery) => {
        attempts.push(delivery.attempt);
        throw new Error('always fails');
      },
      { password: 2, session: 2 },
      async (command) => {
        answered.push(command);
      },
    );
    const command = makeCommand('refresh');
    await queue.publish(command);
    await waitFor('the client answer', () => answered.length === 1);
    await sleep(1_000);
    assert.deepEqual(attempts, [1, 2, 3]);
    const letters = await deadLetters(namespace);
    assert.equal(letters.length, 1);
    assertRedacted(letters[0]!, command);
    assert.equal(letters[0]!.attempts, 3);
  });

  test('quorum lane: a command that takes down every worker that takes it is set aside without running again', async () => {
    const namespace = uniqueNamespace('poison-crash');
    const command = makeCommand();
    const runs: number[] = [];
    // Each "worker" takes the command and dies before settling it: the broker puts it back, counted.
    for (let death = 1; death <= 2; death++) {
      const { queue } = open({ queueType: 'quorum', deliveryLimit: 2, namespace });
      await queue.consume(
        async (_command, delivery) => {
          runs.push(delivery.attempt);
          await new Promise(() => {}); // never settles
        },
        { password: 1, session: 1 },
      );
      if (death === 1) await queue.publish(command);
      await waitFor(`delivery ${death}`, () => runs.length === death);
      await queue.close();
    }
    const { queue } = open({ queueType: 'quorum', deliveryLimit: 2, namespace });
    const answered: Command[] = [];
    await queue.consume(
      async (_command, delivery) => {
        runs.push(delivery.attempt);
      },
      { password: 1, session: 1 },
      async (c) => {
        answered.push(c);
      },
    );
    await waitFor('the client answer', () => answered.length === 1);
    assert.deepEqual(runs, [1, 2], 'the third delivery must not run the command');
    const letters = await deadLetters(namespace);
    assert.equal(letters.length, 1);
    assertRedacted(letters[0]!, command);
    assert.equal(letters[0]!.attempts, 3);
  });

  test('an unparseable message is dead-lettered as such, and the lane goes on', async () => {
    const { queue, namespace } = open();
    const seen: string[] = [];
    await queue.consume(
      async (command) => {
        seen.push(command.requestId);
      },
      { password: 2, session: 2 },
    );
    const messageId = randomUUID();
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    channel.sendToQueue(`${namespace}.cmd.password`, Buffer.from(`{"password":"${PASSWORD}"`), { messageId });
    await channel.close();
    await connection.close();
    const healthy = makeCommand();
    await queue.publish(healthy);
    await waitFor('the healthy command', () => seen.includes(healthy.requestId));
    let letters: Record<string, unknown>[] = [];
    await waitFor('the dead letter', async () => (letters = await deadLetters(namespace)).length > 0);
    assert.equal(letters[0]!.reason, 'unparseable');
    assert.equal(letters[0]!.requestId, messageId);
    assert.ok(!JSON.stringify(letters[0]).includes(PASSWORD));
  });

  for (const queueType of ['classic', 'quorum'] as const) {
    test(`${queueType} lane: a command that expired in the queue is discarded, never dead-lettered`, async () => {
      const { queue, namespace } = open({ queueType });
      const expiring = makeCommand('login', 300);
      await queue.publish(expiring);
      await sleep(800);
      const seen: string[] = [];
      await queue.consume(
        async (command) => {
          seen.push(command.requestId);
        },
        { password: 2, session: 2 },
      );
      const sentinel = makeCommand('login');
      await queue.publish(sentinel);
      await waitFor('the sentinel', () => seen.includes(sentinel.requestId));
      assert.deepEqual(seen, [sentinel.requestId]);
      assert.deepEqual(await deadLetters(namespace), []);
    });
  }

  test('a quorum lane bounded at maxLength refuses with overloaded when full', async () => {
    const { queue } = open({ queueType: 'quorum', maxLength: 2 });
    // One after the other: a quorum queue applies its bound to what it holds, not to publishes in flight.
    const outcomes: unknown[] = [];
    for (let i = 0; i < 6; i++)
      outcomes.push(
        await queue.publish(makeCommand()).then(
          () => 'ok',
          (err: unknown) => err,
        ),
      );
    const refused = outcomes.filter((o): o is AppError => o instanceof AppError);
    assert.ok(refused.length >= 1, `all ${outcomes.length} accepted by a lane bounded at 2`);
    for (const err of refused) assert.equal(err.code, 'overloaded');
  });

  test('QUEUE_DELIVERY_LIMIT above 2 needs quorum queues', () => {
    assert.throws(
      () => loadConfig({ QUEUE_DELIVERY_LIMIT: '3' }, 'worker'),
      (err: unknown) => err instanceof ConfigError && /QUEUE_DELIVERY_LIMIT/.test(err.message),
    );
    const config = loadConfig({ QUEUE_TYPE: 'quorum', QUEUE_DELIVERY_LIMIT: '5' }, 'worker');
    assert.equal(config.QUEUE_TYPE, 'quorum');
    assert.equal(config.QUEUE_DELIVERY_LIMIT, 5);
    assert.equal(loadConfig({}, 'worker').QUEUE_TYPE, 'classic');
  });
});
