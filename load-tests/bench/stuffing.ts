import { startProcess, type RunningProcess } from '../../scripts/lib/processes.ts';
import { tempDir } from '../../scripts/lib/services.ts';
import { loopbackAddress, postFrom } from '../../features/stuffing/test/support/from-address.ts';
import { StuffingWave } from '../../features/stuffing/test/support/wave.ts';
import { OPEN_LIMITS, PASSWORD, percentile, post, round, startPipeline } from './deployment.ts';

/** Owners sign in from addresses of their own, apart from the wave's. */
const OWNER_ADDRESSES = 900_000;

interface Shape {
  url: string;
  /** GET /metrics of the process that runs the worker. */
  workerMetrics: string;
  stop(): Promise<void>;
}

/** bcrypt compares the worker has run (a login's password check: an unknown email's too). */
async function compares(shape: Shape): Promise<number> {
  const text = await (await fetch(shape.workerMetrics)).text();
  return Number(/^authgate_bcrypt_duration_seconds_count\{op="compare"\} (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** Waits until the worker's compare count has not moved for two seconds (the lane drained), at most a minute. */
async function settledCompares(shape: Shape): Promise<number> {
  let last = await compares(shape);
  for (let stable = 0, waited = 0; stable < 4 && waited < 120; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await compares(shape);
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return last;
}

interface Run {
  /** bcrypt compares the worker ran for the wave: all it ran from the wave's start until the lane drained, less the owners' logins. */
  waveBcrypts: number;
  /** Owners' logins after the first challenge (the defence at work). */
  ownersDefendedMs: number[];
  waveAnswers: Record<number, number>;
  ownersIdleMs: number[];
  ownersWaveMs: number[];
  /** Owners' logins from their known devices answered challenge_required (goal 0). */
  ownersChallenged: number;
  ownersFailed: number;
  detectMs: number | undefined;
}

const p99 = (samples: number[]) =>
  round(
    percentile(
      [...samples].sort((a, b) => a - b),
      99,
    ),
    1,
  );
const p50 = (samples: number[]) =>
  round(
    percentile(
      [...samples].sort((a, b) => a - b),
      50,
    ),
    1,
  );

async function allInOne(env: Record<string, string>): Promise<Shape> {
  const data = tempDir('bench-stuffing');
  const all: RunningProcess = await startProcess('all', { DATA_DIR: data.dir, ...env });
  return {
    url: all.url,
    workerMetrics: `http://127.0.0.1:${all.metricsPort}/metrics`,
    stop: async () => {
      await all.stop();
      data.remove();
    },
  };
}

async function distributed(env: Record<string, string>, cost: number): Promise<Shape> {
  const pipeline = await startPipeline({ edges: 1, bcryptCost: cost, env });
  return { url: pipeline.edges[0]!.url, workerMetrics: `http://127.0.0.1:${pipeline.worker.metricsPort}/metrics`, stop: () => pipeline.stop() };
}

/**
 * One deployment, one wave: owners' logins from their known devices while idle, then during a wave of
 * `rate` failed logins a second, each from an address of its own (127.0.0.0/8, one try each), half
 * real emails with wrong passwords and half emails with no account. Owners keep one login each in flight.
 */
async function runWave(shape: Shape, options: { owners: number; waveSeconds: number; rate: number; firstAddress: number }): Promise<Run> {
  const owners = Array.from({ length: options.owners }, (_, i) => ({
    email: `bench-owner-${Date.now()}-${i}@example.test`,
    deviceId: `owner-device-${i}`,
    address: loopbackAddress(OWNER_ADDRESSES + options.firstAddress / 1000 + i),
  }));
  // The leaked list's real half: accounts of their own, a try or two each (as a botnet spreads them),
  // so the per-account limits do not see the wave either.
  const victims = Array.from({ length: 100 }, (_, i) => `bench-victim-${Date.now()}-${i}@example.test`);
  for (let i = 0; i < victims.length; i += 10) {
    await Promise.all(victims.slice(i, i + 10).map((email) => post(`${shape.url}/auth/register`, { email, password: PASSWORD })));
  }
  for (const owner of owners) {
    if ((await post(`${shape.url}/auth/register`, { email: owner.email, password: PASSWORD })).status !== 201) throw new Error('register failed');
    const first = await postFrom(shape.url, '/auth/login', { email: owner.email, password: PASSWORD, deviceId: owner.deviceId }, owner.address);
    if (first.status !== 200) throw new Error(`an owner's first login answered ${first.status}`);
  }
  const run: Run = {
    waveBcrypts: 0,
    ownersDefendedMs: [],
    waveAnswers: {},
    ownersIdleMs: [],
    ownersWaveMs: [],
    ownersChallenged: 0,
    ownersFailed: 0,
    detectMs: undefined,
  };
  let ownersCompared = 0;
  const signIn = async (owner: (typeof owners)[number], into: number[]) => {
    const started = performance.now();
    const answer = await postFrom(shape.url, '/auth/login', { email: owner.email, password: PASSWORD, deviceId: owner.deviceId }, owner.address, 60_000).catch(
      () => ({ status: 0, body: undefined }),
    );
    if (answer.status === 200 || answer.status === 401) ownersCompared++;
    if (answer.status === 200) {
      into.push(performance.now() - started);
      if (into === run.ownersWaveMs && wave.stats.firstChallengeAt !== undefined && started + performance.timeOrigin > wave.stats.firstChallengeAt) {
        run.ownersDefendedMs.push(performance.now() - started);
      }
    } else if (answer.body?.error?.code === 'challenge_required') run.ownersChallenged++;
    else run.ownersFailed++;
  };
  const wave = new StuffingWave([shape.url], {
    ratePerS: options.rate,
    emails: (i) => (i % 2 === 0 ? victims[(i / 2) % victims.length]! : `leaked-${i}@example.test`),
    firstAddress: options.firstAddress,
    maxSeconds: options.waveSeconds,
  });
  // Idle: the owners as they sign in during the wave (each one login in flight), for a third of its length.
  const idleUntil = Date.now() + (options.waveSeconds * 1000) / 3;
  await Promise.all(
    owners.map(async (owner) => {
      while (Date.now() < idleUntil) await signIn(owner, run.ownersIdleMs);
    }),
  );
  const before = await compares(shape);
  ownersCompared = 0;
  wave.start();
  const until = Date.now() + options.waveSeconds * 1000;
  await Promise.all(
    owners.map(async (owner) => {
      while (Date.now() < until) await signIn(owner, run.ownersWaveMs);
    }),
  );
  const stats = await wave.stop();
  run.waveAnswers = stats.byStatus;
  run.waveBcrypts = (await settledCompares(shape)) - before - ownersCompared;
  run.detectMs = stats.firstChallengeAt === undefined ? undefined : stats.firstChallengeAt - wave.startedAt;
  return run;
}

/**
 * (stuffing) A credential stuffing wave against the same deployment with the defence off, then on,
 * in each shape (the all-in-one; an edge and a worker over RabbitMQ, Redis and PostgreSQL):
 * - password work spent on the wave, on ÷ off: wave logins that reached bcrypt (goal ≤ 0.1);
 * - owners' login p99 during the wave ÷ idle, with the defence on, in the same run (goal ≤ 2);
 * - owners' known-device logins challenged (goal 0); time from the wave's start to its first challenge.
 * Password work is counted on the worker (its bcrypt compares from the wave's start until the lane
 * drained, less the owners'), so a wave login a client gave up on still counts if it was hashed.
 * bcrypt cost 8 by default: detection counts failed logins, which cannot come faster than the lane
 * hashes them; on this 2-core machine at cost 12 the lane's capacity is under STUFFING_FAILURE_RATE
 * and no wave could be seen (features/stuffing/docs.md, tuning). The ratios are counts, not times.
 */
export async function benchStuffing(options: { cost: number; waveSeconds: number; rate: number; owners: number }): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const env = { ...OPEN_LIMITS, PASSWORD_WORK_PER_SOURCE: '1', BCRYPT_COST: String(options.cost), LOGIN_FREE_FAILURES: '1000' };
  let firstAddress = 0;
  for (const shapeName of ['all-in-one', 'distributed'] as const) {
    const runs: Partial<Record<'off' | 'on', Run>> = {};
    for (const defence of ['off', 'on'] as const) {
      const shapeEnv = { ...env, STUFFING_DEFENCE: defence };
      const shape = shapeName === 'all-in-one' ? await allInOne(shapeEnv) : await distributed(shapeEnv, options.cost);
      try {
        runs[defence] = await runWave(shape, { owners: options.owners, waveSeconds: options.waveSeconds, rate: options.rate, firstAddress });
      } finally {
        await shape.stop();
      }
      firstAddress += 100_000;
    }
    const off = runs.off!;
    const on = runs.on!;
    rows.push({
      bench: `stuffing (${shapeName}): a wave of ${options.rate} failed logins/s for ${options.waveSeconds} s, one try per 127.0.0.0/8 address, real and unknown emails, ${options.owners} owners signing in from known devices; defence off, then on`,
      bcryptCost: options.cost,
      waveBcrypts: { off: off.waveBcrypts, on: on.waveBcrypts },
      waveAnswers: { off: off.waveAnswers, on: on.waveAnswers },
      passwordWorkOnOverOff: round(on.waveBcrypts / Math.max(1, off.waveBcrypts)),
      ownersIdleMs: { p50: p50(on.ownersIdleMs), p99: p99(on.ownersIdleMs), n: on.ownersIdleMs.length },
      ownersWaveMs: {
        off: { p50: p50(off.ownersWaveMs), p99: p99(off.ownersWaveMs), n: off.ownersWaveMs.length, failed: off.ownersFailed },
        on: { p50: p50(on.ownersWaveMs), p99: p99(on.ownersWaveMs), n: on.ownersWaveMs.length, failed: on.ownersFailed },
      },
      ownersP99WaveOverIdle: round(p99(on.ownersWaveMs) / p99(on.ownersIdleMs)),
      ownersDefendedMs: { p50: p50(on.ownersDefendedMs), p99: p99(on.ownersDefendedMs), n: on.ownersDefendedMs.length },
      ownersP99DefendedOverIdle: round(p99(on.ownersDefendedMs) / p99(on.ownersIdleMs)),
      ownersP99WaveOverIdleWithoutDefence: round(p99(off.ownersWaveMs) / p99(off.ownersIdleMs)),
      knownDeviceLoginsChallenged: on.ownersChallenged,
      timeToDetectMs: on.detectMs ?? null,
    });
  }
  return rows;
}
