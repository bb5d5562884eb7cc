import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import pino from 'pino';
import { createRedis } from '@authgate/shared/redis';
import { RedisSessionDirectory } from '@authgate/features/sessions/stores/redis-directory';
import { RedisSessionStore } from '@authgate/features/sessions/stores/redis-sessions';
import { sealSuccessor } from '@authgate/features/sessions/stores/successor';
import { LimiterStore } from '@authgate/shared/security/limiter-store';
import { PerMinuteLimiter } from '@authgate/shared/security/per-minute-limiter';
import { LeasedPerMinuteLimiter } from '@authgate/shared/security/leased-limiter';
import { RedisResultBus } from '@authgate/shared/transport/redis-results';
import { AccessTokenSigner, newRefreshToken } from '../../services/worker/src/tokens.ts';
import { percentile, round } from './deployment.ts';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../scripts/lib/services.ts';

/**
 * Timing spans of one refresh's steps, `SAMPLES` times in a row at one in flight, on this machine's
 * Redis: where the worker's and the edge's time goes, and the worker's part in its two earlier forms
 * (a result-store check and the sessions list's three round trips around the rotation; then the
 * list's script beside the signature) and now (the rotation script alone, the list's new end
 * batched), alternated, so that each form is measured on the same Redis at the same moment. Prints p50/p99 ms per span.
 *   node --import tsx load-tests/bench/refresh-profile.ts     (SAMPLES=2000)
 */
const SAMPLES = Number(process.env.SAMPLES ?? 2000);
const SIGNED_IN = { amr: ['pwd' as const], authTime: Math.floor(Date.now() / 1000) };
const namespace = uniqueNamespace('refresh-profile');
const log = pino({ level: 'silent' });
const redis = createRedis(REDIS_URL, log, `${namespace}-profile`);
const sessions = new RedisSessionStore(createRedis(REDIS_URL, log, `${namespace}-sessions`), namespace);
const directory = new RedisSessionDirectory(createRedis(REDIS_URL, log, `${namespace}-directory`), namespace);
const results = new RedisResultBus(REDIS_URL, namespace, log);
const limits = new LimiterStore(createRedis(REDIS_URL, log, `${namespace}-limits`, { enableOfflineQueue: false }));
const ipLimiter = new PerMinuteLimiter(limits, `${namespace}:rl:ip`, 10_000_000);
const ipLease = new LeasedPerMinuteLimiter(limits, `${namespace}:rl:ip-lease`, 10_000_000);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signer = new AccessTokenSigner({ privateKey, kid: 'profile', alg: 'RS256' }, { issuer: 'authgate', audience: 'authgate', ttlSeconds: 900 });
const ecSigner = new AccessTokenSigner(
  { privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, kid: 'profile-ec', alg: 'ES256' },
  { issuer: 'authgate', audience: 'authgate', ttlSeconds: 900 },
);
const auditLine = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
await redis.ping();

const userId = randomUUID();
const sid = randomUUID();
let current = newRefreshToken(sid);
await sessions.create({ sid, userId, email: 'profile@example.test', refreshHash: current.hash, deviceId: 'device-1', signedIn: SIGNED_IN }, 3_600_000);
await directory.add(userId, { id: sid, createdAt: Date.now(), lastUsedAt: Date.now(), expiresAt: Date.now() + 3_600_000 } as never);

const spans: Record<string, number[]> = {};
async function span(name: string, work: () => unknown): Promise<void> {
  const started = performance.now();
  await work();
  (spans[name] ??= []).push(performance.now() - started);
}

// The worker's part of one refresh in its first form (each step in turn: the result-store
// check, the rotation, the sessions list's HGET, PTTL and MULTI, the signature, the delivery) and as it
// is now (the rotation knows a re-run command; the list's one script runs while the token is signed),
// alternated within each iteration so the machine's load hits both alike.
const dirKey = `${namespace}:sessions-of:{${userId}}`;
async function extendAsBefore(): Promise<void> {
  const value = await redis.hget(dirKey, sid);
  if (!value) return;
  const ttl = await redis.pttl(dirKey);
  const expiresAt = Date.now() + 3_600_000;
  await redis
    .multi()
    .hset(dirKey, sid, JSON.stringify({ ...JSON.parse(value), expiresAt }), `used:${sid}`, Date.now())
    .pexpire(dirKey, Math.max(ttl, expiresAt - Date.now()))
    .exec();
}
const rotation = (requestId?: string) => {
  const next = newRefreshToken(sid);
  const sealed = sealSuccessor(`rt1.${sid}.x`, sid, next.token);
  const request = {
    sid,
    presentedHash: current.hash,
    nextHash: next.hash,
    ttlMs: 3_600_000,
    deviceId: 'device-1',
    successor: { sealed, graceMs: 5000 },
    requestId,
  };
  current = next;
  return sessions.rotate(request);
};
const deliver = (requestId: string, token: string) =>
  results.deliver({ requestId, replyTo: { nodeId: 'nobody' }, ok: true, status: 200, data: { accessToken: token } } as never);

// The same token as the signer's, signed by jose's SignJWT as the worker did before: what jose adds.
function signWithJose(): Promise<string> {
  return new SignJWT({ sid })
    .setProtectedHeader({ alg: 'RS256', kid: 'profile', typ: 'JWT' })
    .setIssuer('authgate')
    .setAudience('authgate')
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('900s')
    .setJti(randomUUID())
    .sign(privateKey);
}

for (let i = 0; i < SAMPLES; i++) {
  await span('edge: per-IP limiter (Redis)', () => ipLimiter.consume('127.0.0.1'));
  await span('edge: per-IP lease (spent locally)', () => ipLease.consume('127.0.0.1'));
  const before = randomUUID();
  await span('before: whole worker part', async () => {
    await span('before: result lookup (EXISTS)', () => results.answered('nobody', before));
    await span('before: rotate script', () => rotation());
    await span('before: directory extend (HGET, PTTL, MULTI)', () => extendAsBefore());
    auditLine.info({ audit: { action: 'refresh.succeeded', userId, sessionId: sid, ip: '127.0.0.1' } }, 'refresh.succeeded');
    let token = '';
    await span('RS256 sign (AccessTokenSigner, node:crypto)', async () => {
      token = await signer.sign(userId, sid, SIGNED_IN);
    });
    await span('deliver (SET NX + PUBLISH)', () => deliver(before, token));
  });
  const first = randomUUID();
  await span('list beside sign: whole worker part', async () => {
    await rotation(first);
    auditLine.info({ audit: { action: 'refresh.succeeded', userId, sessionId: sid, ip: '127.0.0.1' } }, 'refresh.succeeded');
    const now = Date.now();
    const [, token] = await Promise.all([directory.extend(userId, sid, now + 3_600_000, now), signer.sign(userId, sid, SIGNED_IN)]);
    await deliver(first, token);
  });
  const after = randomUUID();
  await span('now: whole worker part', async () => {
    await span('now: rotate script (the one Redis step)', () => rotation(after));
    auditLine.info({ audit: { action: 'refresh.succeeded', userId, sessionId: sid, ip: '127.0.0.1' } }, 'refresh.succeeded');
    await deliver(after, await signer.sign(userId, sid, SIGNED_IN));
  });
  // The sessions list's new end, once a second in the worker: here once per 100 refreshes, outside the spans.
  if (i % 100 === 0) await directory.extend(userId, sid, Date.now() + 3_600_000, Date.now());
  await span('RS256 sign (jose SignJWT, before)', () => signWithJose());
  await span('ES256 sign (AccessTokenSigner, JWT_ALG=ES256)', () => ecSigner.sign(userId, sid, SIGNED_IN));
  await span('audit log line', () => auditLine.info({ audit: { action: 'refresh.succeeded', userId, sessionId: sid, ip: '127.0.0.1' } }, 'refresh.succeeded'));
  await span('seal successor (HKDF + AES-GCM)', () => sealSuccessor(`rt1.${sid}.x`, sid, current.token));
}

const rows = Object.entries(spans).map(([name, samples]) => {
  samples.sort((a, b) => a - b);
  return {
    span: name,
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
});
console.table(rows);
const whole = (name: string) => rows.find((r) => r.span === name)!;
const ratio = (a: string, b: string) => `p50 ${round(whole(a).p50Ms / whole(b).p50Ms, 2)}, p99 ${round(whole(a).p99Ms / whole(b).p99Ms, 2)}`;
console.log(`worker part, same run (${SAMPLES} alternated samples each):`);
console.log(`  now ÷ first form: ${ratio('now: whole worker part', 'before: whole worker part')}`);
console.log(`  now ÷ list beside sign: ${ratio('now: whole worker part', 'list beside sign: whole worker part')}`);
redis.disconnect();
await Promise.all([sessions.close(), directory.close(), results.close()]);
ipLease.close();
limits.close();
await cleanupNamespace(namespace);
