import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createLogger } from '@authgate/shared/logger';
import type { Command, Result } from '@authgate/shared/protocol';
import { LeasedPerMinuteLimiter } from '@authgate/shared/security/leased-limiter';
import { LimiterStore } from '@authgate/shared/security/limiter-store';
import { LoginLimiter } from '@authgate/shared/security/login-limiter';
import { MemoryPasswordWork, sourceOf } from '@authgate/shared/security/password-work';
import { ResultSealing, sealResult } from '@authgate/shared/security/result-seal';
import { MemoryCommandQueue } from '@authgate/shared/transport/memory-queue';
import { Admission } from '../src/admission.ts';
import { LaneThroughput } from '../src/lane-throughput.ts';
import { Relay, type ResultTarget } from '../src/relay.ts';

// The relay on the in-process queue, with the test as the worker: each command is answered exactly
// once, on every path (the worker's result, the deadline, a full edge, a queue that refuses), and on
// each of them the password-work unit and the place on the lane that admission took come back.

const PASSWORD = 'correct horse battery staple';
const NODE = 'edge-test';
const log = createLogger({ level: 'silent', name: 'relay-test' });
const relays: Relay[] = [];
// The relay's deadline sweep does not hold the process open (a server does): the test holds it.
const open = setInterval(() => {}, 1_000);
after(() => {
  clearInterval(open);
  for (const relay of relays) relay.pending.close();
});

function setUp(options: { timeoutMs?: number; maxPending?: number; queueLength?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const store = new LimiterStore(undefined);
  const namespace = `relay-${randomBytes(4).toString('hex')}`;
  const work = new MemoryPasswordWork(100);
  const lane = new LaneThroughput();
  const admission = new Admission(
    new LeasedPerMinuteLimiter(store, `${namespace}:ip`, 6_000),
    new LoginLimiter({ store, namespace, limits: { accountMaxFailures: 1_000, accountWindowS: 60, freeFailures: 1_000, backoffBaseS: 1, backoffMaxS: 1 } }),
    work,
    timeoutMs,
    { throughput: lane, admitShare: 0.75 },
  );
  const queue = new MemoryCommandQueue(options.queueLength ?? 100);
  const relay = new Relay(NODE, queue, () => false, {
    maxPending: options.maxPending ?? 100,
    timeoutMs,
    log,
    sealing: new ResultSealing(randomBytes(32)),
    notRun: (admitted) => admission.notRun(admitted),
    answered: (requestId, ip) => admission.answered(requestId, ip),
    passwordLane: lane,
  });
  relays.push(relay);
  const held = (address: string) => {
    const probe = `probe-${randomBytes(4).toString('hex')}`;
    const round = work.acquireNow(sourceOf(address), probe, Date.now() + 60_000);
    work.releaseNow(probe);
    return round;
  };
  /** The commands the "worker" took, and a way to answer one as a worker does (sealed with its key). */
  const taken: Command[] = [];
  const worker = () =>
    queue.consume(
      async (command) => {
        taken.push(command);
      },
      { password: 10, session: 10 },
    );
  const reply = (command: Command, data: Record<string, unknown>) => {
    const result: Result = { requestId: command.requestId, replyTo: command.replyTo, ok: true, status: 200, data };
    relay.onResult(sealResult(result, command.resultSecret));
  };
  return { admission, relay, lane, queue, held, taken, worker, reply };
}

function targetOf(): ResultTarget & { results: Result[]; first: Promise<Result> } {
  const results: Result[] = [];
  let resolve!: (result: Result) => void;
  const first = new Promise<Result>((r) => (resolve = r));
  return {
    results,
    first,
    deliver(result) {
      results.push(result);
      resolve(result);
    },
  };
}

const codeOf = (result: Result) => (result.ok ? undefined : result.error.code);
const loginBody = (email: string) => () => ({ email, password: PASSWORD });
const until = async (what: string, check: () => boolean) => {
  const end = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > end) assert.fail(`${what} did not happen`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Relay: each admitted command ends in one answer, and gives back what admission took', () => {
  test("the worker's result, opened, reaches its target once; the unit and the lane place come back first", async () => {
    const { admission, relay, lane, held, taken, worker, reply } = setUp();
    await worker();
    const admitted = await admission.admit('login', loginBody('one@example.com'), '10.1.0.1');
    const target = targetOf();
    relay.submit(admitted, target);
    await until('the command reached the worker', () => taken.length === 1);
    const command = taken[0]!;
    assert.equal(command.round, 0);
    assert.equal(command.replyTo.nodeId, NODE);
    reply(command, { answer: 42 });
    const result = await target.first;
    assert.equal(result.ok, true);
    assert.deepEqual(result.data, { answer: 42 });
    assert.equal(held('10.1.0.1'), 0, 'the unit was given back before the answer went out');
    assert.equal(lane.depth, 0);
    // The same result again (a redelivery's second answer) reaches no one.
    reply(command, { answer: 43 });
    assert.equal(target.results.length, 1);
    assert.equal(relay.stats.unrouted, 1);
  });

  test('a result sealed with another key answers internal, never its body', async () => {
    const { admission, relay, taken, worker } = setUp();
    await worker();
    const admitted = await admission.admit('login', loginBody('forged@example.com'), '10.1.0.2');
    const target = targetOf();
    relay.submit(admitted, target);
    await until('the command reached the worker', () => taken.length === 1);
    const command = taken[0]!;
    const forged: Result = { requestId: command.requestId, replyTo: command.replyTo, ok: true, status: 200, data: { accessToken: 'x' } };
    relay.onResult(sealResult(forged, randomBytes(32).toString('base64url')));
    const result = await target.first;
    assert.equal(result.ok, false);
    assert.equal(codeOf(result), 'internal');
  });

  test('no result by the deadline: 504 timeout, once, and the unit and the lane place come back', async () => {
    const { admission, relay, lane, held, worker } = setUp({ timeoutMs: 150 });
    await worker();
    const admitted = await admission.admit('login', loginBody('slow@example.com'), '10.1.0.3');
    const target = targetOf();
    relay.submit(admitted, target);
    const result = await target.first;
    assert.equal(codeOf(result), 'timeout');
    assert.equal(result.status, 504);
    assert.equal(relay.stats.timedOut, 1);
    await until('the unit came back', () => held('10.1.0.3') === 0);
    assert.equal(lane.depth, 0);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(target.results.length, 1, 'answered once');
  });

  test('an edge with too many requests waiting: 503 overloaded at once, and the command is not run', async () => {
    const { admission, relay, lane, held, taken } = setUp({ maxPending: 1 });
    relay.submit(await admission.admit('login', loginBody('first@example.com'), '10.1.0.4'), targetOf());
    const admitted = await admission.admit('login', loginBody('second@example.com'), '10.1.0.4');
    const target = targetOf();
    relay.submit(admitted, target);
    const result = await target.first;
    assert.equal(codeOf(result), 'overloaded');
    await until('the second unit came back', () => held('10.1.0.4') === 1);
    assert.equal(lane.depth, 1, 'only the first is on the lane');
    assert.equal(taken.length, 0);
  });

  test('a queue that refuses the command (full): its error is the answer, and the unit and the lane place come back', async () => {
    const { admission, relay, lane, held } = setUp({ queueLength: 1 });
    // No worker: the first command fills the lane's one place.
    relay.submit(await admission.admit('login', loginBody('fills@example.com'), '10.1.0.5'), targetOf());
    const admitted = await admission.admit('login', loginBody('refused@example.com'), '10.1.0.6');
    const target = targetOf();
    relay.submit(admitted, target);
    const result = await target.first;
    assert.equal(codeOf(result), 'overloaded');
    await until('the refused unit came back', () => held('10.1.0.6') === 0);
    assert.equal(lane.depth, 1);
  });
});
