import { randomBytes, randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { loadConfig, type Config } from '@authgate/shared/config';
import { composeDrivers, type Drivers } from '@authgate/shared/composition';
import type { EventBus } from '@authgate/shared/events/types';
import { UserRepository, type UserRecord } from '@authgate/shared/db/users';
import { loadSigningKey, type SigningKey } from '@authgate/shared/keys';
import { createLogger } from '@authgate/shared/logger';
import { startApi, type ApiHandle } from '../src/index.ts';
import { cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../../test/helpers/services.ts';
import { signTestToken, type TokenOptions } from '../../../test/helpers/tokens.ts';

/** What must never appear in an answer: a bcrypt hash or the name of the column that holds one. */
export const HASH_MARKERS = ['password_hash', 'passwordHash', '$2b$', '$2a$'];

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export { now, type TokenOptions } from '../../../test/helpers/tokens.ts';

/**
 * The account API started in this process on a real port, over a fresh PostgreSQL database and the
 * machine's Redis, with the development signing key of its own DATA_DIR to mint tokens as a worker would.
 */
export class ApiFixture {
  private constructor(
    readonly api: ApiHandle,
    readonly config: Config,
    readonly users: UserRepository,
    readonly signing: SigningKey,
    private readonly drivers: Drivers,
    /** Drops the fixture's database while the API runs: PostgreSQL gone, for real. */
    readonly dropDatabase: () => Promise<void>,
    private readonly cleanups: Array<() => Promise<void> | void>,
  ) {}

  /** `deps.events`: a bus of the test's own in place of the composed one (to read what the API publishes). */
  static async start(label: string, env: Record<string, string> = {}, deps: { events?: EventBus } = {}): Promise<ApiFixture> {
    const database = await createTestDatabase(label);
    const data = tempDir(label);
    const namespace = uniqueNamespace(label);
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        API_PORT: '0',
        DATA_DIR: data.dir,
        DATABASE_URL: database.url,
        REDIS_URL,
        NAMESPACE: namespace,
        ...env,
      },
      'api',
    );
    const log = createLogger({ level: 'silent', name: 'api-test' });
    const drivers = await composeDrivers(config, 'api', log);
    const api = await startApi(config, { ...drivers.api(), ...deps, log }, { listen: true });
    const cleanups = [() => database.drop(), () => cleanupNamespace(namespace), () => data.remove()];
    return new ApiFixture(api, config, new UserRepository(drivers.api().db), await loadSigningKey(config), drivers, database.drop, cleanups);
  }

  get url(): string {
    return `http://127.0.0.1:${this.api.port}`;
  }

  async close(): Promise<void> {
    await this.api.stop();
    await this.drivers.close();
    for (const cleanup of this.cleanups) await cleanup();
  }

  /** A user row as a worker writes it, with a bcrypt-looking hash that no answer may show. */
  async createUser(email = `user-${randomBytes(6).toString('hex')}@example.test`, id = randomUUID()): Promise<UserRecord> {
    await this.users.create({ id, email, passwordHash: `$2b$04$${randomBytes(27).toString('base64url')}`, registrationRequestId: randomUUID() });
    const user = await this.users.findById(id);
    assert.ok(user);
    return user;
  }

  /** An access token as a worker signs it, with any part overridden. */
  token(options: TokenOptions = {}): Promise<string> {
    return signTestToken(this.signing, this.config, options);
  }

  /** A request over HTTP; every answer is checked for password hashes and stack traces on the way. */
  async request(path: string, init: RequestInit = {}): Promise<Answer> {
    return fetchAnswer(`${this.url}${path}`, init);
  }
}

export async function fetchAnswer(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  for (const marker of HASH_MARKERS) assert.ok(!text.includes(marker), `${url}: the answer shows ${marker}: ${text.slice(0, 300)}`);
  // /ready's 503 is a status report like the edge's, not an error.
  if (res.status >= 400 && new URL(url).pathname !== '/ready') assertErrorShape({ status: res.status, headers: res.headers, text, body }, url);
  return { status: res.status, headers: res.headers, text, body };
}

/** The error shape of docs/errors.md, with no stack trace. */
export function assertErrorShape(answer: Answer, what: string): void {
  const error = answer.body?.error;
  assert.ok(error && typeof error === 'object', `${what}: no error object in ${answer.text.slice(0, 300)}`);
  assert.equal(typeof error.code, 'string', what);
  assert.equal(typeof error.message, 'string', what);
  assert.match(String(error.requestId), /^[0-9a-f-]{36}$/, `${what}: requestId`);
  assert.ok(!/\bat .+:\d+:\d+/.test(answer.text) && !answer.text.includes('"stack"'), `${what}: a stack trace leaked`);
}

export function assertError(answer: Answer, status: number, code: string, what: string): void {
  assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 300)}`);
  assert.equal(answer.body?.error?.code, code, what);
}

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
