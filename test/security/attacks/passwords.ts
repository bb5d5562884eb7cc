import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { attack } from '../support/cases.ts';
import { newEmail, newIp, newPassword, openSocketFrom, postJson, register, wsRequest } from '../support/client.ts';
import { startDeployment, type Deployment } from '../support/deployment.ts';
import { recordSecret } from '../support/secrets.ts';

/** Registration over REST on one edge and over a WebSocket on the other: the policy holds on both. */
async function registerBoth(
  d: Deployment,
  email: string,
  password: string,
): Promise<{ rest: { status: number; code?: string }; ws: { status: number; code?: string } }> {
  const restAnswer = await postJson(d.a.url, '/auth/register', { email, password }, newIp());
  const socket = await openSocketFrom(d.b.wsUrl, newIp());
  const frame = await wsRequest(socket, 'register', { email: `ws-${email}`, password });
  socket.close();
  return { rest: { status: restAnswer.status, code: restAnswer.body?.error?.code }, ws: { status: frame.status, code: frame.error?.code } };
}

/** Password policy: length, bcrypt's 72 bytes, common passwords, and re-hashing when the cost rises. */
export function passwordAttacks(): void {
  describe('passwords: length, the 72-byte limit, common passwords, re-hash on a cost rise', () => {
    let d: Deployment;
    before(async () => {
      d = await startDeployment('passwords');
    });
    after(() => d?.stop());

    attack('fewer than 8 characters: weak_password; 8 characters, with no composition rule, are enough', async () => {
      for (const short of ['x7#kQ2!', 'ñandú7', '日本語のパス']) {
        const { rest, ws } = await registerBoth(d, newEmail('short'), short);
        assert.deepEqual(rest, { status: 400, code: 'weak_password' }, JSON.stringify(short));
        assert.deepEqual(ws, { status: 400, code: 'weak_password' }, JSON.stringify(short));
      }
      // Lower case only, no digit, no symbol: accepted (NIST SP 800-63B: no composition rules).
      const { rest, ws } = await registerBoth(d, newEmail('eight'), 'qjxvwkzp');
      assert.equal(rest.status, 201);
      assert.equal(ws.status, 201);
    });

    attack('64 ASCII characters are accepted and log in; 72 bytes are the most, 73 bytes are refused with invalid_request', async () => {
      const email64 = newEmail('long64');
      const p64 = `${newPassword()} and a longer tail to reach sixty-four`.padEnd(64, 'z').slice(0, 64);
      recordSecret(p64);
      assert.equal(p64.length, 64);
      await register(d.a.url, email64, p64);
      assert.equal((await postJson(d.b.url, '/auth/login', { email: email64, password: p64 })).status, 200);

      // 30 two-byte characters and 12 one-byte ones: 42 characters, 72 bytes.
      const seventyTwo = `${'é'.repeat(30)}${randomBytes(9).toString('base64url')}`;
      assert.equal(Buffer.byteLength(seventyTwo), 72);
      recordSecret(seventyTwo);
      const { rest: ok72, ws: ok72ws } = await registerBoth(d, newEmail('b72'), seventyTwo);
      assert.equal(ok72.status, 201);
      assert.equal(ok72ws.status, 201);
      const { rest: too, ws: tooWs } = await registerBoth(d, newEmail('b73'), `${seventyTwo}x`);
      assert.deepEqual(too, { status: 400, code: 'invalid_request' });
      assert.deepEqual(tooWs, { status: 400, code: 'invalid_request' });
    });

    attack('two passwords that differ only after byte 72 never both verify: the longer is refused at registration, and at login it never matches', async () => {
      const email = newEmail('trunc');
      const base = `${newPassword()} ${'k'.repeat(72)}`.slice(0, 72);
      recordSecret(base);
      assert.equal(Buffer.byteLength(base), 72);
      await register(d.a.url, email, base);
      // bcrypt alone would read only the first 72 bytes and accept these.
      for (const longer of [`${base}X`, `${base} and anything after`]) {
        recordSecret(longer);
        assert.equal((await postJson(d.a.url, '/auth/login', { email, password: longer }, newIp())).status, 401, 'longer password at login');
        assert.equal(
          (await postJson(d.b.url, '/auth/register', { email: newEmail('trunc2'), password: longer })).status,
          400,
          'longer password at registration',
        );
      }
      assert.equal((await postJson(d.b.url, '/auth/login', { email, password: base }, newIp())).status, 200, 'the 72-byte password itself');
    });

    attack('common passwords are refused with weak_password, as given and in their usual disguises (case, digits, years, symbols, leetspeak)', async () => {
      const common = [
        'password',
        'Password1',
        'PASSWORD123',
        'qwertyuiop',
        'iloveyou123',
        '1q2w3e4r5t',
        'P@ssw0rd',
        'P@ssw0rd2024!',
        'Summer2024!',
        'football1997',
        'monkey!!!!!!',
        '123456789',
        'letmein123',
        'Sh@d0w99',
        'welcome1!',
        'Dragon2023',
      ];
      for (const password of common) {
        const { rest, ws } = await registerBoth(d, newEmail('common'), password);
        assert.deepEqual(rest, { status: 400, code: 'weak_password' }, password);
        assert.deepEqual(ws, { status: 400, code: 'weak_password' }, password);
      }
    });

    attack("passwords made of the account's own address, or of repeated or sequential characters, are refused", async () => {
      const email = newEmail('mallory.smith');
      const local = email.split('@')[0]!;
      for (const password of [email, local, `${local}2024!`, 'aaaaaaaaaaaa', 'abababababab', 'xyzxyzxyzxyz', '98765432', 'abcdefghij', 'authgate2024']) {
        const answer = await postJson(d.a.url, '/auth/register', { email, password }, newIp());
        assert.deepEqual([answer.status, answer.body.error?.code], [400, 'weak_password'], password);
      }
      assert.equal((await postJson(d.a.url, '/auth/register', { email, password: 'mallory keeps seven lanterns' })).status, 201, 'an ordinary passphrase');
    });

    attack('uncommon passwords in any script and of any shape are accepted', async () => {
      for (const password of ['vivid otter lantern 31', 'Ünïcødé ist schön', '我的密码很长很安全', 'correct horse battery', 'tuba-quasar-mitten']) {
        const { rest, ws } = await registerBoth(d, newEmail('fine'), password);
        assert.equal(rest.status, 201, password);
        assert.equal(ws.status, 201, password);
      }
    });

    attack('when BCRYPT_COST rises, a login re-hashes the stored password at the new cost (and only a successful one)', async () => {
      const email = newEmail('rehash');
      const password = newPassword();
      const userId = await register(d.a.url, email, password);
      const hashOf = async () => {
        const [row] = await d.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [userId]);
        recordSecret(row!.password_hash);
        return row!.password_hash;
      };
      const before = await hashOf();
      assert.match(before, /^\$2[aby]\$04\$/);
      await d.restartWorker({ BCRYPT_COST: '5' });
      assert.equal((await postJson(d.b.url, '/auth/login', { email, password: 'not the password' }, newIp())).status, 401);
      assert.equal(await hashOf(), before, 'a failed login changes nothing');
      assert.equal((await postJson(d.b.url, '/auth/login', { email, password }, newIp())).status, 200);
      const after = await hashOf();
      assert.match(after, /^\$2[aby]\$05\$/, 'stored at the new cost');
      assert.notEqual(after, before);
      assert.equal((await postJson(d.a.url, '/auth/login', { email, password }, newIp())).status, 200, 'the new hash verifies');
      assert.ok(
        d.worker.lines.some((l) => l.msg === 'password re-hashed at the configured cost' && l.userId === userId),
        'the re-hash is logged, without the hash',
      );
    });
  });
}
