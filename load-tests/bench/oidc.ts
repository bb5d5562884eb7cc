import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { startProcess, type RunningProcess } from '../../scripts/lib/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../../scripts/lib/services.ts';
import { OPEN_LIMITS, PASSWORD, percentile, post, round } from './deployment.ts';

/**
 * The OpenID provider against the gateway it stands on, in the distributed shape (an edge, a worker
 * and an account API over RabbitMQ, Redis and PostgreSQL), one run each:
 * (oidc-signin) an authorization-code sign-in as a relying party and a browser cause it, timed request
 *   by request (authorization, interaction, hand-over of the access token, resume, code exchange),
 *   with the gateway login it needs, ÷ a plain gateway login (POST /auth/login), alternated;
 * (oidc-refresh) refresh_token grants per second at the token endpoint ÷ gateway refreshes per second
 *   (POST /auth/refresh), the same number of sessions in flight over kept-alive HTTP.
 */

const agent = new http.Agent({ keepAlive: true });
const CLIENT = { id: 'bench', secret: 'bench-secret-0123456789abcdefghijklmn' };
const REDIRECT = 'http://127.0.0.1:9/cb';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers, ...(options.body ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) };
    const req = http.request(url, { method: options.method ?? 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The browser's cookies for the provider: name → value and path, sent where the path matches. */
class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  take(answer: Answer): void {
    for (const line of answer.headers['set-cookie'] ?? []) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const name = pair!.slice(0, pair!.indexOf('='));
      const value = pair!.slice(pair!.indexOf('=') + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      if (value && !/expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.set(`${name} ${path}`, { value, path });
      else this.cookies.delete(`${name} ${path}`);
    }
  }

  header(url: string): string {
    const path = new URL(url).pathname;
    return [...this.cookies.entries()]
      .filter(([, c]) => path.startsWith(c.path))
      .map(([key, c]) => `${key.split(' ')[0]}=${c.value}`)
      .join('; ');
  }
}

const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function tokenRequest(api: string, fields: Record<string, string>): Promise<Answer> {
  return request(`${api}/oidc/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: form(fields),
  });
}

/** One authorization-code sign-in with PKCE, as a browser and a relying party make it; ms per step. */
async function oidcSignIn(edge: string, api: string, email: string, deviceId: string, scope: string): Promise<{ steps: number[]; refreshToken?: string }> {
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const steps: number[] = [];
  const timed = async (run: () => Promise<Answer>, expected: number, what: string): Promise<Answer> => {
    const started = performance.now();
    const answer = await run();
    steps.push(performance.now() - started);
    if (answer.status !== expected) throw new Error(`${what}: ${answer.status} ${answer.body.slice(0, 200)}`);
    return answer;
  };
  const get = (url: string) => request(url, { headers: { cookie: jar.header(url) } });

  const login = await timed(
    () => post(`${edge}/auth/login`, { email, password: PASSWORD, deviceId }).then((r) => ({ status: r.status, headers: {}, body: JSON.stringify(r.body) })),
    200,
    'gateway login',
  );
  const accessToken = JSON.parse(login.body).accessToken as string;
  const authorize = `${api}/oidc/auth?${form({
    client_id: CLIENT.id,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope,
    ...(scope.includes('offline_access') ? { prompt: 'consent' } : {}),
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })}`;
  const started = await timed(() => get(authorize), 303, 'authorization');
  jar.take(started);
  const interaction = new URL(started.headers.location!, api).href;
  jar.take(await timed(() => get(interaction), 303, 'interaction'));
  const handedOver = await timed(
    () =>
      request(`${interaction}/login`, {
        method: 'POST',
        headers: { cookie: jar.header(`${interaction}/login`), 'content-type': 'application/json' },
        body: JSON.stringify({ accessToken }),
      }),
    200,
    'hand-over',
  );
  let next = new URL(JSON.parse(handedOver.body).redirectTo as string, api).href;
  // The resume, and (offline_access asks for consent) the first-party client's consent granted at once.
  for (let hop = 0; hop < 4 && !next.startsWith(REDIRECT); hop++) {
    const answer = await timed(() => get(next), 303, 'resume');
    jar.take(answer);
    next = new URL(answer.headers.location!, api).href;
  }
  const code = new URL(next).searchParams.get('code');
  if (!code) throw new Error(`no code at the redirect URI: ${next}`);
  const tokens = await timed(
    () => tokenRequest(api, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
    200,
    'code exchange',
  );
  return { steps, refreshToken: JSON.parse(tokens.body).refresh_token };
}

interface Deployment {
  edge: RunningProcess;
  worker: RunningProcess;
  api: RunningProcess;
  stop(): Promise<void>;
}

async function startDeployment(bcryptCost: number): Promise<Deployment> {
  const namespace = uniqueNamespace('bench-oidc');
  const database = await createTestDatabase('bench_oidc');
  const data = tempDir('bench-oidc');
  const apiPort = await new Promise<number>((resolve) => {
    const probe = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const env = {
    NAMESPACE: namespace,
    AMQP_URL,
    REDIS_URL,
    DATA_DIR: data.dir,
    BCRYPT_COST: String(bcryptCost),
    ...OPEN_LIMITS,
    LOGIN_FREE_FAILURES: '1000',
    LOGIN_ACCOUNT_MAX_FAILURES: '1000000',
    // The issuer is the API's own address: no nginx in front, the relying party talks to it directly.
    PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    OIDC_CLIENTS: JSON.stringify([
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        first_party: true,
      },
    ]),
  };
  const worker = await startProcess('worker', { ...env, DATABASE_URL: database.url });
  const [edge, api] = await Promise.all([startProcess('edge', env), startProcess('api', { ...env, DATABASE_URL: database.url, API_PORT: String(apiPort) })]);
  return {
    edge,
    worker,
    api,
    async stop() {
      await Promise.all([edge.stop(), api.stop()]);
      await worker.stop();
      await database.drop();
      await cleanupNamespace(namespace);
      data.remove();
    },
  };
}

async function account(edge: string, deviceId: string): Promise<string> {
  const email = `bench-oidc-${randomBytes(6).toString('hex')}@example.test`;
  const registered = await post(`${edge}/auth/register`, { email, password: PASSWORD });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  // The first sign-in makes the device a known one: no new-device check on the timed ones.
  const first = await post(`${edge}/auth/login`, { email, password: PASSWORD, deviceId });
  if (first.status !== 200) throw new Error(`login answered ${first.status}`);
  return email;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** (oidc-signin) Authorization-code sign-ins ÷ plain gateway logins, `samples` of each, alternated. */
export async function benchOidcSignIn(samples: number, bcryptCost: number): Promise<Record<string, unknown>> {
  const deployment = await startDeployment(bcryptCost);
  try {
    const edge = deployment.edge.url;
    const api = `http://127.0.0.1:${deployment.api.port}`;
    const deviceId = 'bench-device';
    const email = await account(edge, deviceId);
    // Warm both paths (the provider is built, its keys imported, connections opened).
    await oidcSignIn(edge, api, email, deviceId, 'openid email');
    const plain: number[] = [];
    const full: number[] = [];
    const openIdPart: number[] = [];
    const byStep: number[][] = [];
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      const login = await post(`${edge}/auth/login`, { email, password: PASSWORD, deviceId });
      plain.push(performance.now() - started);
      if (login.status !== 200) throw new Error(`login answered ${login.status}`);
      const { steps } = await oidcSignIn(edge, api, email, deviceId, 'openid email');
      full.push(sum(steps));
      openIdPart.push(sum(steps.slice(1)));
      steps.forEach((ms, step) => {
        byStep[step] ??= [];
        byStep[step]!.push(ms);
      });
    }
    return {
      bench: 'oidc-signin: authorization-code sign-in ÷ a plain gateway login',
      bcryptCost,
      samples,
      steps: 'gateway login, authorization, interaction, hand-over, resume, code exchange',
      signInOverLoginMedian: round(median(full) / median(plain), 3),
      openIdStepsOverLoginMedian: round(median(openIdPart) / median(plain), 3),
      eachStepOverLoginMedian: byStep.map((values) => round(median(values) / median(plain), 3)),
    };
  } finally {
    await deployment.stop();
  }
}

/** (oidc-refresh) Refreshes per second: token endpoint ÷ gateway, `sessions` in flight, `seconds` each. */
export async function benchOidcRefresh(seconds: number, sessions: number, bcryptCost: number): Promise<Record<string, unknown>> {
  const deployment = await startDeployment(bcryptCost);
  try {
    const edge = deployment.edge.url;
    const api = `http://127.0.0.1:${deployment.api.port}`;
    const deviceId = 'bench-device';
    const email = await account(edge, deviceId);
    const gatewayTokens: string[] = [];
    const openIdTokens: string[] = [];
    for (let i = 0; i < sessions; i++) {
      const login = await post(`${edge}/auth/login`, { email, password: PASSWORD, deviceId });
      gatewayTokens.push(login.body.refreshToken);
      openIdTokens.push((await oidcSignIn(edge, api, email, deviceId, 'openid offline_access')).refreshToken!);
    }
    const storm = async (tokens: string[], refresh: (token: string) => Promise<string>) => {
      let done = 0;
      const until = Date.now() + seconds * 1000;
      const started = Date.now();
      await Promise.all(
        tokens.map(async (token) => {
          let current = token;
          while (Date.now() < until) {
            current = await refresh(current);
            done++;
          }
        }),
      );
      return done / ((Date.now() - started) / 1000);
    };
    const gateway = await storm(gatewayTokens, async (token) => {
      const answer = await post(`${edge}/auth/refresh`, { refreshToken: token, deviceId });
      if (answer.status !== 200) throw new Error(`gateway refresh answered ${answer.status}`);
      return answer.body.refreshToken;
    });
    const openId = await storm(openIdTokens, async (token) => {
      const answer = await tokenRequest(api, { grant_type: 'refresh_token', refresh_token: token });
      if (answer.status !== 200) throw new Error(`token endpoint answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      return JSON.parse(answer.body).refresh_token;
    });
    return {
      bench: 'oidc-refresh: token-endpoint refreshes per second ÷ gateway refreshes per second',
      seconds,
      inFlight: sessions,
      tokenEndpointOverGateway: round(openId / gateway, 3),
    };
  } finally {
    await deployment.stop();
  }
}
