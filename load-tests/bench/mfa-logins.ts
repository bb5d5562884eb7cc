import { codeAt } from '@authgate/features/second-factor/worker/totp';
import { PASSWORD, percentile, post, round, startPipeline } from './deployment.ts';

const STEP_MS = 30_000;

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
 * (h) A login with TOTP (password → 403 mfa_required, then POST /auth/mfa/verify with a code → token
 * pair) against a plain login of an account without it, through edge → RabbitMQ → worker → Redis →
 * edge. One request in flight; plain and TOTP logins alternate, so both see the same machine. Each
 * TOTP account signs in once: a code is accepted once per step (the replay rule), so the bench enrols
 * as many accounts as it has samples (each confirmed with the previous step's code, each verified
 * with the current one).
 */
export async function benchMfaLogins(cost: number, samples: number): Promise<Record<string, unknown>> {
  const pipeline = await startPipeline({ edges: 1, bcryptCost: cost, env: { LOGIN_FREE_FAILURES: '1000', MFA_IP_MAX_FAILURES: '1000' } });
  try {
    const base = pipeline.edges[0]!.url;
    const label = `bench-mfa-${Date.now()}`;
    const plain: string[] = [];
    const totp: Array<{ email: string; secret: string }> = [];
    for (let i = 0; i < samples; i++) {
      const email = `${label}-plain-${i}@example.test`;
      await post(`${base}/auth/register`, { email, password: PASSWORD });
      plain.push(email);
      const other = `${label}-totp-${i}@example.test`;
      await post(`${base}/auth/register`, { email: other, password: PASSWORD });
      const login = await post(`${base}/auth/login`, { email: other, password: PASSWORD });
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${login.body.accessToken}` };
      const setup = (await (await fetch(`${base}/auth/mfa/totp/setup`, { method: 'POST', headers, body: JSON.stringify({ password: PASSWORD }) })).json()) as {
        secret: string;
      };
      const confirm = await fetch(`${base}/auth/mfa/totp/confirm`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ code: codeAt(setup.secret, Date.now() - STEP_MS) }),
      });
      if (confirm.status !== 200) throw new Error(`confirm answered ${confirm.status}`);
      totp.push({ email: other, secret: setup.secret });
    }
    const plainMs: number[] = [];
    const totpMs: number[] = [];
    const passwordStepMs: number[] = [];
    const verifyStepMs: number[] = [];
    let failed = 0;
    for (let i = 0; i < samples; i++) {
      const one = await timed(() => post(`${base}/auth/login`, { email: plain[i], password: PASSWORD }));
      if (one.value.status === 200) plainMs.push(one.ms);
      else failed++;
      const { email, secret } = totp[i]!;
      const first = await timed(() => post(`${base}/auth/login`, { email, password: PASSWORD }));
      const second = await timed(() => post(`${base}/auth/mfa/verify`, { mfaToken: first.value.body?.error?.mfaToken, code: codeAt(secret, Date.now()) }));
      if (first.value.status === 403 && second.value.status === 200) {
        totpMs.push(first.ms + second.ms);
        passwordStepMs.push(first.ms);
        verifyStepMs.push(second.ms);
      } else failed++;
    }
    const p = summary(plainMs);
    const t = summary(totpMs);
    return {
      bench: 'h: login with TOTP (login + verify) ÷ plain login, one in flight, alternating',
      bcryptCost: cost,
      samples,
      failed,
      plainLoginMs: p,
      totpLoginMs: t,
      totpPasswordStepMs: summary(passwordStepMs),
      totpVerifyStepMs: summary(verifyStepMs),
      addedMs: { p50: round(t.p50 - p.p50, 2), p99: round(t.p99 - p.p99, 2) },
      ratio: { p50: round(t.p50 / p.p50), p99: round(t.p99 / p.p99) },
    };
  } finally {
    await pipeline.stop();
  }
}
