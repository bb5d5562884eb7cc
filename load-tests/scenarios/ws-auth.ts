import { runWebSocketUsers } from '../drivers/websocket.ts';
import { SignupJourney } from '../journeys.ts';
import { ScenarioRecorder } from '../metrics/recorder.ts';
import { recorderStatus } from '../progress.ts';
import type { Scenario } from './types.ts';

export const wsAuth: Scenario = {
  name: 'ws-auth',
  title: 'Sign-up and login over WebSocket',
  description:
    'Every virtual user opens a WebSocket with the shared typed client (AuthgateSocket on the ws package); once all are connected, each registers a new account and logs in to it over its socket.',
  async run({ target, config, progress, emailFor }) {
    const c = config['ws-auth'];
    const recorder = new ScenarioRecorder();
    const done = progress.track('ws-auth', () => recorderStatus(recorder));
    try {
      const stats = await runWebSocketUsers({
        urls: target.wsUrls,
        users: c.users,
        journeyFor: (i) => new SignupJourney(emailFor('ws-auth', i)),
        deadline: Date.now() + c.maxSeconds * 1000,
        deadlineKind: 'limit',
        maxStepsPerUser: 2,
        connectConcurrency: c.connectConcurrency,
        connectTimeoutMs: c.connectTimeoutS * 1000,
        requestTimeoutMs: c.timeoutS * 1000,
        startTogether: true,
        recorder,
        label: 'ws',
      });
      recorder.finish();
      return { metrics: recorder.snapshot(), driver: 'ws + AuthgateSocket', details: { users: c.users, ...stats } };
    } finally {
      done();
    }
  },
};
