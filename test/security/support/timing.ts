import { performance } from 'node:perf_hooks';
import { median, newEmail, newIp, newPassword, percentile, postJson, register } from './client.ts';

export interface LoginTiming {
  tries: number;
  unknownEmail: number[];
  wrongPassword: number[];
  /** Status and body (requestId aside) of every answer, to check they never differ. */
  answers: Set<string>;
}

/**
 * Times logins for an unknown email and for a wrong password on a real account, one request at a
 * time (no queueing in the figures), alternating which kind goes first, spread over the edges, each
 * from its own IP so the brute-force limits stay out of the way.
 */
export async function measureLoginTiming(edges: string[], tries: number): Promise<LoginTiming> {
  const email = newEmail('timing');
  await register(edges[0]!, email, newPassword());
  const timing: LoginTiming = { tries, unknownEmail: [], wrongPassword: [], answers: new Set() };
  const timed = async (edge: string, body: { email: string; password: string }) => {
    const started = performance.now();
    const answer = await postJson(edge, '/auth/login', body, newIp());
    const ms = performance.now() - started;
    timing.answers.add(JSON.stringify({ status: answer.status, error: { ...answer.body?.error, requestId: undefined } }));
    return ms;
  };
  for (let i = 0; i < tries; i++) {
    const edge = edges[i % edges.length]!;
    const unknown = () => timed(edge, { email: newEmail('nobody'), password: `guess ${i} for nobody` });
    const wrong = () => timed(edge, { email, password: `guess ${i} for somebody` });
    if (i % 2 === 0) {
      timing.unknownEmail.push(await unknown());
      timing.wrongPassword.push(await wrong());
    } else {
      timing.wrongPassword.push(await wrong());
      timing.unknownEmail.push(await unknown());
    }
  }
  return timing;
}

export function describeTiming(timing: LoginTiming, cost: number): string {
  const f = (ms: number) => ms.toFixed(2);
  const u = timing.unknownEmail;
  const w = timing.wrongPassword;
  return [
    `login timing over ${timing.tries} tries each, BCRYPT_COST=${cost}:`,
    `  unknown email:  median ${f(median(u))} ms, p90 ${f(percentile(u, 90))} ms`,
    `  wrong password: median ${f(median(w))} ms, p90 ${f(percentile(w, 90))} ms`,
    `  difference of medians (unknown - wrong): ${f(median(u) - median(w))} ms`,
  ].join('\n');
}
