import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { attack } from '../support/cases.ts';
import { newEmail, newIp, newPassword, openSocketFrom, postJson, register, wsRequest } from '../support/client.ts';
import { startDeployment, type Deployment } from '../support/deployment.ts';
import { describeTiming, measureLoginTiming } from '../support/timing.ts';

const TRIES = 200;

/** No user enumeration through login: an unknown email and a wrong password look the same. */
export function enumerationAttacks(): void {
  describe('no user enumeration through login', () => {
    let d: Deployment;
    before(async () => {
      d = await startDeployment('enum');
    });
    after(() => d?.stop());

    attack('unknown email and wrong password: the same status, body (requestId aside) and headers, on both edges, over REST and WebSocket', async () => {
      const email = newEmail('known');
      await register(d.a.url, email, newPassword());
      for (const edge of [d.a, d.b]) {
        const wrong = await postJson(edge.url, '/auth/login', { email, password: 'a wrong password here' }, newIp());
        const unknown = await postJson(edge.url, '/auth/login', { email: newEmail('unknown'), password: 'a wrong password here' }, newIp());
        assert.equal(wrong.status, 401);
        assert.equal(unknown.status, wrong.status);
        const strip = (body: any) => ({ ...body.error, requestId: undefined });
        assert.deepEqual(strip(unknown.body), strip(wrong.body));
        assert.equal(wrong.body.error.code, 'invalid_credentials');
        const headerSet = (h: Headers) => [...h.entries()].filter(([n]) => n !== 'date' && n !== 'content-length').sort();
        assert.deepEqual(headerSet(unknown.headers), headerSet(wrong.headers));

        const socket = await openSocketFrom(edge.wsUrl, newIp());
        const wsWrong = await wsRequest(socket, 'login', { email, password: 'a wrong password here' });
        const wsUnknown = await wsRequest(socket, 'login', { email: newEmail('unknown'), password: 'a wrong password here' });
        socket.close();
        assert.deepEqual({ ...wsUnknown, id: undefined }, { ...wsWrong, id: undefined });
        assert.equal(wsWrong.status, 401);
      }
    });

    attack(
      `unknown email and wrong password take the same time: medians over ${TRIES} tries each (printed, not asserted)`,
      async () => {
        const timing = await measureLoginTiming([d.a.url, d.b.url], TRIES);
        assert.equal(timing.unknownEmail.length, TRIES);
        assert.equal(timing.wrongPassword.length, TRIES);
        assert.equal(timing.answers.size, 1, `every answer alike: ${[...timing.answers].join(' | ')}`);
        console.log(describeTiming(timing, 4));
      },
      { timeout: 300_000 },
    );
  });
}
