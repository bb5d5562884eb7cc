import autocannon from 'autocannon';
import type { Journey, Step } from '../journeys.ts';
import type { Outcome, ScenarioRecorder } from '../metrics/recorder.ts';
import { CLIENT_CODES, restOutcome } from '../outcomes.ts';

export interface RestRunOptions {
  /** Base URLs; connections are spread over them in turn. */
  urls: string[];
  /** One connection is one virtual user, with its own journey. */
  connections: number;
  journeyFor: (index: number) => Journey;
  /** Each connection makes exactly this many requests, then the run ends (bounded also by `maxSeconds`). */
  requestsPerConnection?: number;
  /** The run's length; with `requestsPerConnection`, its hard upper bound. */
  maxSeconds: number;
  timeoutS: number;
  recorder: ScenarioRecorder;
  /** Prefix of the operation names in the report, e.g. `rest` for `rest login`. */
  label: string;
}

export interface RestRunStats {
  /** Requests autocannon timed out or lost with their connection (each also counted as `no_answer`). */
  clientErrors: number;
  stoppedByTime: boolean;
}

interface VirtualUser {
  journey: Journey;
  /** The step sent and not yet answered. */
  pending: Step | undefined;
  /** Handed from `onResponse` to the `response` event, which autocannon fires right after it. */
  answered: { op: string; outcome: Outcome } | undefined;
}

function httpRequest(step: Step): { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body: string | undefined } {
  if (step.op === 'verify') return { method: 'GET', path: '/auth/verify', headers: { authorization: `Bearer ${step.fields.accessToken}` }, body: undefined };
  return { method: 'POST', path: `/auth/${step.op}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(step.fields) };
}

/**
 * Drives REST journeys with autocannon: each connection builds its next request from its user's
 * journey (`setupRequest`), reads the answer (`onResponse`) and takes autocannon's own latency.
 */
export function runRest(options: RestRunOptions): Promise<RestRunStats> {
  const { recorder, label } = options;
  const users = new WeakMap<object, VirtualUser>();
  const all: VirtualUser[] = [];
  const stats: RestRunStats = { clientErrors: 0, stoppedByTime: false };

  const build = (user: VirtualUser, request: autocannon.Request): autocannon.Request => {
    if (user.pending) {
      // autocannon sends the next request only after an answer, a timeout or a lost connection.
      recorder.record(`${label} ${user.pending.op}`, { ok: false, code: CLIENT_CODES.noAnswer }, undefined);
      user.journey.answer(user.pending, { ok: false, status: 0 });
    }
    const step = user.journey.next();
    user.pending = step;
    if (!step) return { ...request, method: 'GET', path: '/health', headers: {}, body: undefined };
    return { ...request, ...httpRequest(step) };
  };

  const onAnswer = (user: VirtualUser, status: number, body: string) => {
    const step = user.pending;
    user.pending = undefined;
    if (!step) return;
    const { outcome, answer } = restOutcome(step.op, status, body);
    user.journey.answer(step, answer);
    user.answered = { op: `${label} ${step.op}`, outcome };
  };

  return new Promise((resolve, reject) => {
    let created = 0;
    const requestsPerConnection = options.requestsPerConnection;
    const instance = autocannon(
      {
        url: options.urls as unknown as string, // autocannon spreads connections over a list of URLs
        connections: options.connections,
        ...(requestsPerConnection ? { amount: options.connections * requestsPerConnection } : { duration: options.maxSeconds }),
        timeout: options.timeoutS,
        // Replaced per connection below; this one is never sent.
        requests: [{ method: 'GET', path: '/health' }],
        setupClient: (client) => {
          const user: VirtualUser = { journey: options.journeyFor(created++), pending: undefined, answered: undefined };
          users.set(client, user);
          all.push(user);
          client.setRequests([
            { method: 'GET', path: '/health', setupRequest: (request) => build(user, request), onResponse: (status, body) => onAnswer(user, status, body) },
          ]);
        },
      },
      (err) => {
        clearTimeout(hardStop);
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        // What is still pending was cut by the end of the run's time, or was never answered at all.
        for (const user of all) {
          if (!user.pending) continue;
          if (stats.stoppedByTime || !requestsPerConnection) recorder.unfinished(`${label} ${user.pending.op}`);
          else recorder.record(`${label} ${user.pending.op}`, { ok: false, code: CLIENT_CODES.noAnswer }, undefined);
          user.pending = undefined;
        }
        resolve(stats);
      },
    );
    instance.on('response', (client, _status, _bytes, responseTime) => {
      const user = users.get(client);
      if (!user?.answered) return;
      recorder.record(user.answered.op, user.answered.outcome, responseTime);
      user.answered = undefined;
    });
    instance.on('reqError', () => {
      stats.clientErrors++;
    });
    const hardStop = setTimeout(
      () => {
        stats.stoppedByTime = true;
        instance.stop();
      },
      requestsPerConnection ? options.maxSeconds * 1000 : (options.maxSeconds + options.timeoutS + 30) * 1000,
    );
  });
}
