import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { AppError } from '@authgate/shared/errors';
import { createLogger } from '@authgate/shared/logger';
import type { Command, CommandKind, Result } from '@authgate/shared/protocol';
import { AmqpCommandQueue, commandQueueNames } from '@authgate/shared/transport/amqp-queue';
import { MemoryCommandQueue } from '@authgate/shared/transport/memory-queue';
import { MemoryResultBus } from '@authgate/shared/transport/memory-results';
import { RedisResultBus } from '@authgate/shared/transport/redis-results';
import { PASSWORD_ROUNDS, type CommandQueue, type ResultBus } from '@authgate/shared/transport/types';
import { AMQP_URL, REDIS_URL, uniqueNamespace } from '../../test/helpers/services.ts';

const log = createLogger({ level: 'silent', name: 'test' });

function makeCommand(kind: CommandKind, nodeId = 'node-a', body: Record<string, unknown> = {}): Command {
  return {
    v: 1,
    requestId: randomUUID(),
    kind,
    body,
    replyTo: { nodeId },
    deadline: Date.now() + 10_000,
    meta: { ip: '127.0.0.1' },
  };
}

function makeResult(nodeId: string, data: unknown = { n: 1 }): Result {
  return { requestId: randomUUID(), replyTo: { nodeId }, ok: true, status: 200, data };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails with `what` when it does not within `timeoutMs`. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface TransportDriver {
  name: string;
  /** A queue for the suite (one consumer is attached to it). */
  queue(): Promise<CommandQueue>;
  /** A fresh queue bounded at `maxLength`, in its own namespace, nobody consuming. */
  boundedQueue(maxLength: number): Promise<CommandQueue>;
  /** The bus a worker delivers through. */
  bus(): Promise<ResultBus>;
  /** The bus the node `nodeId` listens on (another process in the distributed shape). */
  busForNode(nodeId: string): Promise<ResultBus>;
  /** Closes everything this driver opened and removes what it left on the brokers. */
  cleanup(): Promise<void>;
}

/** Behaviour of the suite's one consumer for a given command. */
type Behaviour = (attempt: number) => Promise<void>;

function transportContract(driver: TransportDriver): void {
  describe(`transport contract: ${driver.name}`, () => {
    let queue: CommandQueue;
    let bus: ResultBus;
    const attempts = new Map<string, number>();
    const seen: Command[] = [];
    const behaviours = new Map<string, Behaviour>();

    const attemptsOf = (command: Command) => attempts.get(command.requestId) ?? 0;

    before(async () => {
      queue = await driver.queue();
      bus = await driver.bus();
      await queue.consume(
        async (command) => {
          const n = (attempts.get(command.requestId) ?? 0) + 1;
          attempts.set(command.requestId, n);
          seen.push(command);
          const behaviour = behaviours.get(command.requestId);
          if (behaviour) await behaviour(n);
        },
        { password: 4, session: 4 },
      );
    });

    after(async () => {
      await driver.cleanup();
    });

    test('the queue reports ready', async () => {
      assert.equal(await queue.ready(), true);
    });

    test('a published command reaches the consumer once, intact', async () => {
      const command = makeCommand('login', 'node-a', { email: 'a@example.test', password: 'x' });
      await queue.publish(command);
      // A sentinel behind it on the same lane: once it arrived, any duplicate would have too.
      const sentinel = makeCommand('login');
      await queue.publish(sentinel);
      await waitFor('the sentinel', () => attemptsOf(sentinel) === 1);
      await sleep(300);
      assert.equal(attemptsOf(command), 1);
      const received = seen.find((c) => c.requestId === command.requestId);
      assert.deepEqual(received, command);
    });

    for (const kind of ['register', 'login'] as const) {
      test(`password-lane kind ${kind} flows to the consumer`, async () => {
        const command = makeCommand(kind);
        await queue.publish(command);
        await waitFor(`${kind} command`, () => attemptsOf(command) === 1);
        assert.equal(seen.find((c) => c.requestId === command.requestId)?.kind, kind);
      });
    }

    for (const kind of ['refresh', 'logout'] as const) {
      test(`session-lane kind ${kind} flows to the consumer`, async () => {
        const command = makeCommand(kind);
        await queue.publish(command);
        await waitFor(`${kind} command`, () => attemptsOf(command) === 1);
        assert.equal(seen.find((c) => c.requestId === command.requestId)?.kind, kind);
      });
    }

    test('a handler that rejects gets the command again', async () => {
      const command = makeCommand('register');
      behaviours.set(command.requestId, async (attempt) => {
        if (attempt === 1) throw new Error('transient failure');
      });
      await queue.publish(command);
      await waitFor('the retry', () => attemptsOf(command) >= 2);
      // Acknowledged on the second try: no further delivery.
      await sleep(1_000);
      assert.equal(attemptsOf(command), 2);
    });

    test('a session-lane command that fails once is retried too', async () => {
      const command = makeCommand('refresh');
      behaviours.set(command.requestId, async (attempt) => {
        if (attempt === 1) throw new Error('transient failure');
      });
      await queue.publish(command);
      await waitFor('the retry', () => attemptsOf(command) >= 2);
      await sleep(500);
      assert.equal(attemptsOf(command), 2);
    });

    test('a handler that always rejects does not loop forever', async () => {
      const command = makeCommand('login');
      behaviours.set(command.requestId, async () => {
        throw new Error('poison');
      });
      await queue.publish(command);
      await waitFor('a second attempt', () => attemptsOf(command) >= 2);
      // Give a looping driver every chance to show itself, then require that the attempts stopped.
      await sleep(2_500);
      const settled = attemptsOf(command);
      // Both drivers give a failed command exactly one more try.
      assert.equal(settled, 2, `attempted ${settled} times`);
      await sleep(1_000);
      assert.equal(attemptsOf(command), settled, 'still being redelivered');
    });

    test('a poison command does not block the commands behind it', async () => {
      const poison = makeCommand('register');
      behaviours.set(poison.requestId, async () => {
        throw new Error('poison');
      });
      await queue.publish(poison);
      const healthy = makeCommand('register');
      await queue.publish(healthy);
      await waitFor('the healthy command', () => attemptsOf(healthy) === 1);
    });

    test('a queue bounded at maxLength rejects with overloaded when full and nobody consumes', async () => {
      const bounded = await driver.boundedQueue(2);
      await bounded.publish(makeCommand('login'));
      await bounded.publish(makeCommand('login'));
      await assert.rejects(bounded.publish(makeCommand('login')), (err: unknown) => {
        assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
        assert.equal(err.code, 'overloaded');
        assert.equal(err.status, 503);
        return true;
      });
      // The bound is per lane: the session lane of the same queue still has room.
      await bounded.publish(makeCommand('refresh'));
    });

    test('depth counts the commands waiting per lane and the consumers attached (metrics)', async () => {
      const idle = await driver.boundedQueue(10);
      await idle.publish(makeCommand('login'));
      await idle.publish(makeCommand('register'));
      await idle.publish(makeCommand('logout'));
      assert.deepEqual(await idle.depth(), [
        { lane: 'password', messages: 2, consumers: 0 },
        { lane: 'session', messages: 1, consumers: 0 },
      ]);
      assert.equal(idle.unconfirmed, 0, 'every awaited publish is confirmed');
      const consumed = await queue.depth();
      assert.deepEqual(
        consumed.map((d) => [d.lane, d.consumers]),
        [
          ['password', 1],
          ['session', 1],
        ],
      );
    });

    test('the password lane is served round by round: a round-0 command waiting behind a heavy source goes first', async () => {
      const lane = await driver.boundedQueue(100);
      // One source's 5th..8th commands in flight (the last round), then another source's first.
      const heavy = Array.from({ length: 4 }, () => ({ ...makeCommand('login'), round: PASSWORD_ROUNDS - 1 }));
      for (const command of heavy) await lane.publish(command);
      const light = { ...makeCommand('login'), round: 0 };
      await lane.publish(light);
      const order: string[] = [];
      await lane.consume(
        async (command) => {
          order.push(command.requestId);
          await sleep(30);
        },
        { password: 1, session: 1 },
      );
      await waitFor('every command', () => order.length === 5);
      // First come first served would run it last. The very first command may already be running when
      // it arrives (a worker is handed each round's queue on its own), never more than that one.
      assert.ok(order.indexOf(light.requestId) <= 1, `ran ${order.indexOf(light.requestId) + 1}th of 5`);
      assert.deepEqual(
        order.filter((id) => id !== light.requestId),
        heavy.map((c) => c.requestId),
        'within a round, in arrival order',
      );
      // The bound is per round: a full last round leaves round 0 its room.
      const full = await driver.boundedQueue(1);
      await full.publish({ ...makeCommand('login'), round: PASSWORD_ROUNDS - 1 });
      await assert.rejects(full.publish({ ...makeCommand('login'), round: PASSWORD_ROUNDS + 5 }), /busy|full/);
      await full.publish({ ...makeCommand('login'), round: 0 });
    });

    test('deliver publishes once: true, then false for the same requestId; the node gets it exactly once', async () => {
      const nodeId = `n${randomUUID().slice(0, 8)}`;
      const nodeBus = await driver.busForNode(nodeId);
      const received: Result[] = [];
      await nodeBus.subscribe(nodeId, (r) => received.push(r));

      const result = makeResult(nodeId, { answer: 42 });
      assert.equal(await bus.deliver(result), true);
      assert.equal(await bus.deliver(result), false);
      assert.equal(await bus.deliver({ ...result, status: 500 }), false, 'a second, different result for the request');
      const sentinel = makeResult(nodeId);
      assert.equal(await bus.deliver(sentinel), true);
      await waitFor('the sentinel result', () => received.some((r) => r.requestId === sentinel.requestId));

      const copies = received.filter((r) => r.requestId === result.requestId);
      assert.equal(copies.length, 1);
      assert.deepEqual(copies[0], result);
    });

    test('a subscriber of another node never receives the result', async () => {
      const nodeA = `n${randomUUID().slice(0, 8)}`;
      const nodeB = `n${randomUUID().slice(0, 8)}`;
      const busA = await driver.busForNode(nodeA);
      const busB = await driver.busForNode(nodeB);
      const receivedA: Result[] = [];
      const receivedB: Result[] = [];
      await busA.subscribe(nodeA, (r) => receivedA.push(r));
      await busB.subscribe(nodeB, (r) => receivedB.push(r));

      const forA = makeResult(nodeA);
      assert.equal(await bus.deliver(forA), true);
      // Published after forA: once B has its own result, forA would have reached B already.
      const forB = makeResult(nodeB);
      assert.equal(await bus.deliver(forB), true);
      await waitFor('both results', () => receivedA.length > 0 && receivedB.length > 0);
      await sleep(100);

      assert.deepEqual(
        receivedA.map((r) => r.requestId),
        [forA.requestId],
      );
      assert.deepEqual(
        receivedB.map((r) => r.requestId),
        [forB.requestId],
      );
    });

    test('collect returns kept results and nothing for unknown ids', async () => {
      const nodeId = `n${randomUUID().slice(0, 8)}`;
      const first = makeResult(nodeId, { first: true });
      const second = makeResult(nodeId, { second: true });
      assert.equal(await bus.deliver(first), true);
      assert.equal(await bus.deliver(second), true);

      const unknown = randomUUID();
      const found = await bus.collect(nodeId, [first.requestId, unknown, second.requestId]);
      assert.equal(found.length, 2);
      assert.deepEqual(
        [...found].sort((a, b) => a.requestId.localeCompare(b.requestId)),
        [first, second].sort((a, b) => a.requestId.localeCompare(b.requestId)),
      );
      assert.deepEqual(await bus.collect(nodeId, [unknown]), []);
      assert.deepEqual(await bus.collect(nodeId, []), []);
    });

    test('take hands a result out once, only to the connection it was addressed to; a redelivery keeps no second one', async () => {
      const nodeId = `n${randomUUID().slice(0, 8)}`;
      const connectionId = `${nodeId}.${'a'.repeat(22)}`;
      const result: Result = { ...makeResult(nodeId, { mine: true }), replyTo: { nodeId, connectionId, clientId: randomUUID(), deferred: true } };
      assert.equal(await bus.deliver(result), true);
      assert.equal(await bus.take(result.requestId, `${nodeId}.${'b'.repeat(22)}`), undefined, 'another connection gets nothing');
      const taken = await Promise.all([bus.take(result.requestId, connectionId), bus.take(result.requestId, connectionId)]);
      assert.deepEqual(taken.filter(Boolean), [result], 'exactly one of two concurrent collectors gets it');
      assert.equal(await bus.take(result.requestId, connectionId), undefined);
      assert.deepEqual(await bus.collect(nodeId, [result.requestId]), []);
      assert.equal(await bus.answered(nodeId, result.requestId), true, 'still known as answered');
      assert.equal(await bus.deliver(result), false, 'a redelivered command cannot keep a second result');
      assert.equal(await bus.answered(nodeId, randomUUID()), false);
    });

    test('the bus reports ready', async () => {
      assert.equal(await bus.ready(), true);
    });
  });
}

// --- in-process drivers -------------------------------------------------------------------------

function localDriver(): TransportDriver {
  const queues: CommandQueue[] = [];
  let shared: MemoryResultBus | undefined;
  const sharedBus = () => (shared ??= new MemoryResultBus());
  return {
    name: 'MemoryCommandQueue + MemoryResultBus',
    async queue() {
      const q = new MemoryCommandQueue(1_000);
      queues.push(q);
      return q;
    },
    async boundedQueue(maxLength) {
      const q = new MemoryCommandQueue(maxLength);
      queues.push(q);
      return q;
    },
    async bus() {
      return sharedBus();
    },
    // One process holds every node in the all-in-one shape: all nodes share the bus.
    async busForNode() {
      return sharedBus();
    },
    async cleanup() {
      for (const q of queues) await q.close();
      await shared?.close();
    },
  };
}

// --- distributed drivers ------------------------------------------------------------------------

function distributedDriver(): TransportDriver {
  const namespaces: string[] = [];
  const queues: AmqpCommandQueue[] = [];
  const buses: RedisResultBus[] = [];
  const namespace = uniqueNamespace('transport');
  namespaces.push(namespace);

  async function amqpQueue(ns: string, maxLength: number): Promise<AmqpCommandQueue> {
    const q = new AmqpCommandQueue({ url: AMQP_URL, namespace: ns, maxLength, publishTimeoutMs: 3_000, log });
    queues.push(q);
    await q.waitForConnect();
    return q;
  }

  function redisBus(): RedisResultBus {
    const b = new RedisResultBus(REDIS_URL, namespace, log);
    buses.push(b);
    return b;
  }

  let workerBus: RedisResultBus | undefined;
  return {
    name: 'AmqpCommandQueue + RedisResultBus',
    queue: () => amqpQueue(namespace, 1_000),
    async boundedQueue(maxLength) {
      const ns = uniqueNamespace('bounded');
      namespaces.push(ns);
      return amqpQueue(ns, maxLength);
    },
    async bus() {
      return (workerBus ??= redisBus());
    },
    // Each node is its own process with its own connection.
    async busForNode() {
      return redisBus();
    },
    async cleanup() {
      for (const q of queues) await q.close();
      for (const b of buses) await b.close();
      const connection = await amqplib.connect(AMQP_URL);
      const channel = await connection.createChannel();
      for (const ns of namespaces) {
        {
          const commands = commandQueueNames(ns);
          for (const queue of [...commands.password, commands.session, commands.dead]) await channel.deleteQueue(queue);
        }
      }
      await channel.close();
      await connection.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${namespace}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}

transportContract(localDriver());
transportContract(distributedDriver());
