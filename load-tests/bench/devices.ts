import { percentile, post, PASSWORD, round, startPipeline } from './deployment.ts';

/**
 * What the new-device check adds to a login, through edge → RabbitMQ → worker → Redis → edge, in one
 * run, the three kinds of login interleaved so that a change in the machine's load touches all alike:
 * - no deviceId, of an account that never named one: one indexed lookup (has it a named device?);
 * - a known deviceId: one more indexed SELECT on known_devices;
 * - a new deviceId: the challenge (the waiting sign-in stored in Redis, the live event, the mail job).
 * Sequential requests, low bcrypt cost (4) so that the device work is not hidden under the hash.
 * Run: node --require ./bin/threadpool.cjs --import tsx load-tests/bench/devices.ts [rounds]
 */
const rounds = Number(process.argv[2] ?? 300);
// Every challenge is notified (a live event, a mail job) as the first ones of an hour are.
const pipeline = await startPipeline({ edges: 1, bcryptCost: 4, env: { DEVICE_MAILS_PER_HOUR: '1000' } });
try {
  const url = pipeline.edges[0]!.url;
  const users = Array.from({ length: 16 }, (_, i) => `bench-device-${i}-${Date.now()}@example.test`);
  // Accounts that only ever sign in without a deviceId: once an account has a device, naming none is a new device.
  const deviceless = users.map((email) => email.replace('bench-device-', 'bench-deviceless-'));
  for (const email of users) {
    await post(`${url}/auth/register`, { email, password: PASSWORD });
    const first = await post(`${url}/auth/login`, { email, password: PASSWORD, deviceId: 'bench-known' });
    if (first.status !== 200) throw new Error(`first login answered ${first.status}`);
  }
  for (const email of deviceless) await post(`${url}/auth/register`, { email, password: PASSWORD });
  const timings = { none: [] as number[], known: [] as number[], challenged: [] as number[] };
  const expected = { none: 200, known: 200, challenged: 403 };
  const timed = async (kind: keyof typeof timings, email: string, deviceId?: string) => {
    const started = performance.now();
    const res = await post(`${url}/auth/login`, { email, password: PASSWORD, ...(deviceId ? { deviceId } : {}) });
    timings[kind].push(performance.now() - started);
    if (res.status !== expected[kind]) throw new Error(`${kind} login answered ${res.status}`);
  };
  for (let i = 0; i < rounds; i++) {
    const email = users[i % users.length]!;
    await timed('none', deviceless[i % deviceless.length]!);
    await timed('known', email, 'bench-known');
    await timed('challenged', email, `bench-new-${i}`);
  }
  const summary = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
  };
  const none = summary(timings.none);
  const known = summary(timings.known);
  const challenged = summary(timings.challenged);
  console.log(
    JSON.stringify(
      {
        bench: 'login latency (ms), sequential, bcrypt cost 4, interleaved in one run',
        rounds,
        noDeviceId: none,
        knownDevice: known,
        newDeviceChallenge: challenged,
        ratios: {
          knownOverNone: { p50: round(known.p50 / none.p50), p99: round(known.p99 / none.p99) },
          challengeOverNone: { p50: round(challenged.p50 / none.p50), p99: round(challenged.p99 / none.p99) },
        },
      },
      null,
      2,
    ),
  );
} finally {
  await pipeline.stop();
}
