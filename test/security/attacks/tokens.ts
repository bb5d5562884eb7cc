import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { exportJWK } from 'jose';
import type { AuthgateSocket, TokenPairData } from '@authgate/shared/client/socket-client';
import { openSuccessor } from '@authgate/features/sessions/stores/successor';
import { attack } from '../support/cases.ts';
import { newEmail, newIp, newPassword, openSocketFrom, postJson, register, rest, sleep, verifyRest, wsRequest } from '../support/client.ts';
import { newRsaKey, startDeployment, type Deployment, type TestKey } from '../support/deployment.ts';
import { decodePart, flipCharacter, forge, validClaims, type Claims } from '../support/forge.ts';

const GRACE_MS = 1500;
const DEVICE = 'device-of-the-holder';
/** A correctness bound, not a speed target: far below a token's 900 s lifetime, far above a broadcast. */
const REVOCATION_DEADLINE_MS = 5_000;
const now = () => Math.floor(Date.now() / 1000);

/**
 * Access tokens, keys and refresh tokens, attacked over REST /auth/verify and WebSocket `verify` on
 * both edges. The edges publish key K2 as current and K1 as previous; the first worker still signs
 * with K1 (the moment of a rotation when edges already know the new key), later ones with K2.
 */
export function tokenAttacks(): void {
  describe('tokens: forged access tokens, key rotation, refresh rotation, revocation on every edge', () => {
    let d: Deployment;
    let previous: TestKey;
    let stranger: TestKey;
    const sockets: AuthgateSocket[] = [];

    before(async () => {
      previous = await newRsaKey();
      stranger = await newRsaKey();
      d = await startDeployment('tokens', {
        previousKey: previous,
        env: { REFRESH_GRACE_MS: String(GRACE_MS) },
        workerEnv: { JWT_PRIVATE_KEY: previous.pem },
      });
      sockets.push(await openSocketFrom(d.a.wsUrl), await openSocketFrom(d.b.wsUrl));
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await d?.stop();
    });

    /** The verdict of all four surfaces: REST and WebSocket on edge A and edge B. */
    async function verdicts(token: string): Promise<number[]> {
      const restAnswers = await Promise.all([verifyRest(d.a.url, token), verifyRest(d.b.url, token)]);
      const wsAnswers = await Promise.all(sockets.map((s) => wsRequest(s, 'verify', { accessToken: token })));
      for (const answer of restAnswers) if (answer.status === 401) assert.equal(answer.body.error.code, 'invalid_token');
      for (const frame of wsAnswers) if (frame.status === 401) assert.equal(frame.error?.code, 'invalid_token');
      return [...restAnswers.map((a) => a.status), ...wsAnswers.map((f) => f.status)];
    }
    const accepted = async (token: string, what: string) => assert.deepEqual(await verdicts(token), [200, 200, 200, 200], what);
    const refused = async (token: string, what: string) => assert.deepEqual(await verdicts(token), [401, 401, 401, 401], what);

    /** Signs in from DEVICE: the grace window for concurrent refreshes is that device's alone. */
    async function loginNew(): Promise<TokenPairData> {
      const email = newEmail('tok');
      const password = newPassword();
      await register(d.a.url, email, password);
      const answer = await postJson(d.b.url, '/auth/login', { email, password, deviceId: DEVICE }, newIp());
      assert.equal(answer.status, 200);
      return answer.body as TokenPairData;
    }

    /** Valid in every respect (signed with the current key): the baseline each forgery departs from. */
    const current = (claims: Claims = {}, header: Record<string, unknown> = {}) =>
      forge({ kid: d.key.kid, ...header }, validClaims(claims), { alg: 'RS256', key: d.key.privateKey });

    attack(
      'key rotation: the JWKS lists the current and the previous key; tokens of the previous key verify until they expire; workers sign with the current kid',
      async () => {
        for (const edge of [d.a, d.b]) {
          const jwks = await rest(edge.url, 'GET', '/.well-known/jwks.json');
          assert.deepEqual(
            jwks.body.keys.map((k: any) => k.kid),
            [d.key.kid, previous.kid],
            'current first, then previous',
          );
          for (const key of jwks.body.keys) assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'], 'public members only');
        }
        const before = await loginNew();
        assert.equal(decodePart(before.accessToken, 0).kid, previous.kid, 'the worker not yet rotated signs with the previous key');
        await accepted(before.accessToken, 'previous-key token before the rotation');
        await d.restartWorker();
        await accepted(before.accessToken, 'previous-key token after the workers rotated');
        const afterRotation = await loginNew();
        assert.equal(decodePart(afterRotation.accessToken, 0).kid, d.key.kid, 'rotated workers sign with the current kid');
        await accepted(afterRotation.accessToken, 'current-key token');
        const refreshed = await postJson(d.a.url, '/auth/refresh', { refreshToken: before.refreshToken });
        assert.equal(decodePart(refreshed.body.accessToken, 0).kid, d.key.kid, 'a session from before the rotation refreshes onto the current key');
        await refused(
          forge({ kid: previous.kid }, validClaims({ exp: now() - 5, iat: now() - 900 }), { alg: 'RS256', key: previous.privateKey }),
          'an expired previous-key token',
        );
      },
    );

    attack('control: a token signed with the current key and valid claims verifies everywhere (the forgeries below differ in one point)', async () => {
      await accepted(current(), 'valid token');
      await accepted((await loginNew()).accessToken, 'token from a real login');
    });

    const forgeries: Array<[string, () => string | Promise<string>]> = [
      ['alg none, unsigned', () => forge({ kid: d.key.kid }, validClaims(), { alg: 'none' })],
      ['alg None', () => forge({ kid: d.key.kid }, validClaims(), { alg: 'None' })],
      ['alg NONE with a copied signature', () => `${forge({ kid: d.key.kid }, validClaims(), { alg: 'NONE' })}${current().split('.')[2]}`],
      [
        'HS256 signed with the public key PEM as the HMAC secret',
        () =>
          forge({ kid: d.key.kid }, validClaims(), {
            alg: 'HS256',
            secret: new Uint8Array(Buffer.from(createPublicKey(d.key.privateKey).export({ type: 'spki', format: 'pem' }))),
          }),
      ],
      [
        'HS256 signed with the public key DER as the HMAC secret',
        () =>
          forge({ kid: d.key.kid }, validClaims(), {
            alg: 'HS256',
            secret: new Uint8Array(createPublicKey(d.key.privateKey).export({ type: 'spki', format: 'der' })),
          }),
      ],
      [
        'RS512 signed with the real private key (not on the allowlist)',
        () => forge({ kid: d.key.kid }, validClaims(), { alg: 'RS512', key: d.key.privateKey }),
      ],
      [
        'PS256 signed with the real private key (not on the allowlist)',
        () => forge({ kid: d.key.kid }, validClaims(), { alg: 'PS256', key: d.key.privateKey }),
      ],
      ['wrong issuer', () => current({ iss: 'https://evil.example' })],
      ['wrong audience', () => current({ aud: 'another-service' })],
      ['expired', () => current({ exp: now() - 5, iat: now() - 900 })],
      ['not yet valid (nbf ahead)', () => current({ nbf: now() + 600 })],
      [
        'payload tampered after signing (sub changed)',
        () => {
          const [h, , s] = current().split('.');
          return `${h}.${Buffer.from(JSON.stringify(validClaims())).toString('base64url')}.${s}`;
        },
      ],
      ['payload byte flipped', () => flipCharacter(current(), 1)],
      ['signature byte flipped', () => flipCharacter(current(), 2)],
      ['signature stripped', () => `${current().split('.').slice(0, 2).join('.')}.`],
      ['unknown kid (signed by a key never published)', () => forge({ kid: stranger.kid }, validClaims(), { alg: 'RS256', key: stranger.privateKey })],
      ['a published kid, signed by another key', () => forge({ kid: d.key.kid }, validClaims(), { alg: 'RS256', key: stranger.privateKey })],
      ['no kid', () => forge({}, validClaims(), { alg: 'RS256', key: d.key.privateKey })],
      [
        "the attacker's key embedded in the header (jwk)",
        async () => forge({ jwk: await exportJWK(createPublicKey(stranger.privateKey)) }, validClaims(), { alg: 'RS256', key: stranger.privateKey }),
      ],
      [
        "the attacker's key by URL (jku, x5u)",
        () =>
          forge({ kid: stranger.kid, jku: 'https://evil.example/jwks.json', x5u: 'https://evil.example/cert.pem' }, validClaims(), {
            alg: 'RS256',
            key: stranger.privateKey,
          }),
      ],
      ['an unknown critical header', () => current({}, { crit: ['x-authgate-unknown'], 'x-authgate-unknown': true })],
      ['no sid claim', () => current({ sid: undefined })],
      ['no jti claim', () => current({ jti: undefined })],
      ['sid of the wrong type', () => current({ sid: 42 as unknown as string })],
      ['not a JWT at all', () => 'x'.repeat(40)],
      ['two segments only', () => current().split('.').slice(0, 2).join('.')],
    ];
    for (const [name, make] of forgeries) {
      attack(`forged access token refused over REST and WebSocket on both edges: ${name}`, async () => {
        await refused(await make(), name);
      });
    }

    attack('refresh tokens are single use: each refresh returns a new pair, and the new token refreshes again', async () => {
      const first = await loginNew();
      const second = await postJson(d.a.url, '/auth/refresh', { refreshToken: first.refreshToken });
      assert.equal(second.status, 200);
      assert.notEqual(second.body.refreshToken, first.refreshToken);
      assert.equal(second.body.sessionId, first.sessionId);
      const third = await postJson(d.b.url, '/auth/refresh', { refreshToken: second.body.refreshToken });
      assert.equal(third.status, 200);
      assert.notEqual(third.body.refreshToken, second.body.refreshToken);
    });

    attack(
      "concurrent refreshes of one token by the session's device, across both edges and both surfaces, all get the same successor; the session lives on",
      async () => {
        const pair = await loginNew();
        const refreshToken = pair.refreshToken;
        const answers = await Promise.all([
          ...Array.from({ length: 6 }, (_, i) =>
            postJson(i % 2 ? d.a.url : d.b.url, '/auth/refresh', { refreshToken, deviceId: DEVICE }).then((a) => ({ status: a.status, data: a.body })),
          ),
          ...sockets.map((s) => wsRequest(s, 'refresh', { refreshToken, deviceId: DEVICE }).then((f) => ({ status: f.status, data: f.data as any }))),
        ]);
        assert.deepEqual(
          answers.map((a) => a.status),
          Array(8).fill(200),
          JSON.stringify(answers.map((a) => a.data?.error ?? 'ok')),
        );
        assert.equal(new Set(answers.map((a) => a.data.refreshToken)).size, 1, 'one successor refresh token');
        // The access token of a grace answer is signed afresh (the store keeps only the sealed refresh token).
        for (const answer of answers) await accepted(answer.data.accessToken, 'each successor access token');
        const successor = answers[0]!.data as TokenPairData;
        const next = await postJson(d.b.url, '/auth/refresh', { refreshToken: successor.refreshToken });
        assert.equal(next.status, 200, 'the successor refreshes: no spurious logout');
      },
    );

    attack('the successor is kept sealed: Redis holds neither successor token in clear, and only the replaced token opens it', async () => {
      const pair = await loginNew();
      const refreshed = await postJson(d.a.url, '/auth/refresh', { refreshToken: pair.refreshToken, deviceId: DEVICE });
      assert.equal(refreshed.status, 200);
      const session = await d.redis().hgetall(`${d.namespace}:sess:{${pair.sessionId}}`);
      const replaced = await d.redis().zrange(`${d.namespace}:sess:{${pair.sessionId}}:replaced`, 0, -1);
      const sealed = session.gsealed;
      assert.ok(sealed, 'the successor is kept for the grace window');
      const secretPart = (token: string) => token.split('.')[2]!;
      for (const text of [...Object.keys(session), ...Object.values(session), ...replaced]) {
        for (const secret of [
          refreshed.body.refreshToken,
          secretPart(refreshed.body.refreshToken),
          refreshed.body.accessToken,
          pair.refreshToken,
          secretPart(pair.refreshToken),
        ]) {
          assert.ok(!text.includes(secret), 'no token in clear in Redis');
        }
      }
      assert.equal(openSuccessor(pair.refreshToken, pair.sessionId, sealed), refreshed.body.refreshToken, 'the replaced token opens it');
      assert.equal(openSuccessor(refreshed.body.refreshToken, pair.sessionId, sealed), undefined, 'another token does not');
      assert.equal(openSuccessor(pair.refreshToken, pair.sessionId, flipCharacter(`x.x.${sealed}`, 2).slice(4)), undefined, 'an altered one does not open');
    });

    attack(
      'a replaced token presented after the grace window revokes the whole family, is an audit event, and its access tokens stop verifying on every edge',
      async () => {
        const first = await loginNew();
        const second = (await postJson(d.a.url, '/auth/refresh', { refreshToken: first.refreshToken })).body as TokenPairData;
        await accepted(second.accessToken, 'before the reuse (now cached on every edge)');
        await sleep(GRACE_MS + 300);
        const reuse = await postJson(d.b.url, '/auth/refresh', { refreshToken: first.refreshToken });
        assert.equal(reuse.status, 401);
        assert.equal(reuse.body.error.code, 'invalid_token');
        assert.equal(
          (await postJson(d.a.url, '/auth/refresh', { refreshToken: second.refreshToken })).status,
          401,
          'the newest token of the family is revoked too',
        );
        await refusedWithin(second.accessToken, 'access token of the revoked family');
        await refusedWithin(first.accessToken, 'older access token of the revoked family');
        const audit = d.worker.lines.find((l: any) => l.audit?.action === 'refresh.reuse_detected' && l.audit.sessionId === first.sessionId) as any;
        assert.ok(audit, 'refresh.reuse_detected audit event');
        assert.equal(audit.audit.userId, first.user.id);
      },
    );

    /** Polls all four surfaces until each refuses the token; returns after how many checks and ms each did. */
    async function refusedWithin(token: string, what: string): Promise<{ ms: number[]; checks: number }> {
      const started = Date.now();
      const latency: (number | undefined)[] = [undefined, undefined, undefined, undefined];
      let checks = 0;
      while (latency.some((l) => l === undefined) && Date.now() - started < REVOCATION_DEADLINE_MS) {
        checks++;
        const statuses = await verdicts(token);
        statuses.forEach((status, i) => {
          if (status === 401 && latency[i] === undefined) latency[i] = Date.now() - started;
        });
        if (latency.some((l) => l === undefined)) await sleep(10);
      }
      assert.ok(
        latency.every((l) => l !== undefined),
        `${what}: still accepted after ${REVOCATION_DEADLINE_MS} ms on ${latency
          .map((l, i) => (l === undefined ? ['REST A', 'REST B', 'WS A', 'WS B'][i] : ''))
          .filter(Boolean)
          .join(', ')}`,
      );
      return { ms: latency as number[], checks };
    }

    attack(
      `logout reaches every edge at once: the session's access tokens (cached or not) are refused over REST and WebSocket on both edges, long before exp`,
      async () => {
        const pair = await loginNew();
        const other = await loginNew();
        await accepted(pair.accessToken, 'before logout (now cached on every edge)');
        const logout = await postJson(d.a.url, '/auth/logout', { refreshToken: pair.refreshToken });
        assert.equal(logout.status, 204);
        const { ms, checks } = await refusedWithin(pair.accessToken, 'after logout');
        console.log(
          `revocation after logout: refused on every edge and surface by check ${checks} (${ms.map((t, i) => `${['REST A', 'REST B', 'WS A', 'WS B'][i]} ${t} ms`).join(', ')} after the logout answer; exp was ${pair.expiresIn} s away)`,
        );
        await accepted(other.accessToken, 'another session is untouched');
      },
    );

    attack('an edge that starts after a logout (it missed the broadcast) refuses the revoked session from its first request', async () => {
      const pair = await loginNew();
      const other = await loginNew();
      const socket = await openSocketFrom(d.b.wsUrl);
      assert.equal((await wsRequest(socket, 'logout', { refreshToken: pair.refreshToken })).status, 204);
      socket.close();
      const score = await d.redis().zscore(`${d.namespace}:revoked`, pair.sessionId);
      assert.ok(score !== null && Number(score) > Date.now() + (pair.expiresIn - 5) * 1000, 'kept in Redis for the access-token lifetime');
      const late = await d.startEdge();
      const first = await verifyRest(late.url, pair.accessToken);
      assert.equal(first.status, 401, 'the very first verify on the new edge');
      assert.equal((await verifyRest(late.url, other.accessToken)).status, 200, 'a live session verifies on the new edge');
      await late.stop();
    });
  });
}
