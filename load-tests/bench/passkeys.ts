import { SoftCredential } from '../../features/passkeys/test/soft-authenticator.ts';
import { PASSWORD, percentile, post, round, startPipeline } from './deployment.ts';

/** The relying party of the bench's workers: the soft authenticator signs for it as a browser on that page would. */
const PUBLIC_URL = 'https://auth.example.test';

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50), 2), p99: round(percentile(sorted, 99), 2) };
};

/**
 * (passkey) A passkey sign-in (POST /auth/passkeys/login/options, the authenticator's signature,
 * POST /auth/passkeys/login → token pair) against a password sign-in (POST /auth/login) of the same
 * accounts from the same device, at the bcrypt cost given (the default, 12), through edge → RabbitMQ →
 * worker → Redis → edge. One request in flight; the two alternate, so both see the same machine. The
 * authenticator is node:crypto's (ES256), as the tests' soft authenticator: its signing is in the time.
 */
export async function benchPasskeys(cost: number, samples: number): Promise<Record<string, unknown>> {
  const pipeline = await startPipeline({ edges: 1, bcryptCost: cost, env: { PUBLIC_URL, LOGIN_FREE_FAILURES: '1000' } });
  try {
    const base = pipeline.edges[0]!.url;
    const origin = new URL(PUBLIC_URL);
    const accounts: Array<{ email: string; credential: SoftCredential }> = [];
    for (let i = 0; i < samples; i++) {
      const email = `bench-passkey-${Date.now()}-${i}@example.test`;
      await post(`${base}/auth/register`, { email, password: PASSWORD });
      const login = await post(`${base}/auth/login`, { email, password: PASSWORD, deviceId: 'bench' });
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${login.body.accessToken}` };
      const options = (await (await fetch(`${base}/auth/passkeys/register/options`, { method: 'POST', headers, body: '{}' })).json()) as {
        challenge: string;
        user: { id: string };
      };
      const credential = new SoftCredential(options.user.id);
      const response = credential.register({ origin: origin.origin, rpId: origin.hostname, challenge: options.challenge });
      const registered = await fetch(`${base}/auth/passkeys/register`, { method: 'POST', headers, body: JSON.stringify({ response }) });
      if (registered.status !== 201) throw new Error(`passkey registration answered ${registered.status}`);
      accounts.push({ email, credential });
    }
    const passwordMs: number[] = [];
    const passkeyMs: number[] = [];
    const optionsMs: number[] = [];
    const loginStepMs: number[] = [];
    let failed = 0;
    for (const { email, credential } of accounts) {
      const password = await timed(() => post(`${base}/auth/login`, { email, password: PASSWORD, deviceId: 'bench' }));
      if (password.value.status === 200) passwordMs.push(password.ms);
      else failed++;
      const begun = await timed(() => post(`${base}/auth/passkeys/login/options`, {}));
      const { challengeId, options } = begun.value.body as { challengeId: string; options: { challenge: string } };
      const signedIn = await timed(() =>
        post(`${base}/auth/passkeys/login`, {
          challengeId,
          deviceId: 'bench',
          response: credential.assert({ origin: origin.origin, rpId: origin.hostname, challenge: options.challenge }),
        }),
      );
      if (begun.value.status === 200 && signedIn.value.status === 200) {
        passkeyMs.push(begun.ms + signedIn.ms);
        optionsMs.push(begun.ms);
        loginStepMs.push(signedIn.ms);
      } else failed++;
    }
    const pw = summary(passwordMs);
    const pk = summary(passkeyMs);
    return {
      bench: 'passkey: passkey sign-in (options + login) ÷ password sign-in, one in flight, alternating',
      bcryptCost: cost,
      samples,
      failed,
      passwordSignInMs: pw,
      passkeySignInMs: pk,
      passkeyOptionsStepMs: summary(optionsMs),
      passkeyLoginStepMs: summary(loginStepMs),
      ratio: { p50: round(pk.p50 / pw.p50), p99: round(pk.p99 / pw.p99) },
    };
  } finally {
    await pipeline.stop();
  }
}
