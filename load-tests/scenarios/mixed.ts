import { runRest } from '../drivers/rest.ts';
import { runWebSocketUsers } from '../drivers/websocket.ts';
import { MixedJourney } from '../journeys.ts';
import { ScenarioRecorder } from '../metrics/recorder.ts';
import { recorderStatus } from '../progress.ts';
import type { Scenario } from './types.ts';

export const mixed: Scenario = {
  name: 'mixed',
  title: 'Mixed run',
  description:
    'REST users (autocannon) and WebSocket users (AuthgateSocket) at once, each living in a loop: register, log in, verify the access token, refresh now and then, log out, and again as a new user.',
  async run({ target, config, progress, emailFor }) {
    const c = config.mixed;
    const recorder = new ScenarioRecorder();
    const mix = { verifiesPerRefresh: c.verifiesPerRefresh, refreshesPerSession: c.refreshesPerSession };
    let restUsersMade = 0;
    let wsUsersMade = 0;
    const done = progress.track('mixed', () => recorderStatus(recorder, c.durationS));
    try {
      const [rest, ws] = await Promise.all([
        c.restUsers > 0
          ? runRest({
              urls: target.httpUrls,
              connections: c.restUsers,
              journeyFor: () => new MixedJourney(() => emailFor('mixed', `r${restUsersMade++}`), mix),
              maxSeconds: c.durationS,
              timeoutS: c.timeoutS,
              recorder,
              label: 'rest',
            })
          : undefined,
        c.wsUsers > 0
          ? runWebSocketUsers({
              urls: target.wsUrls,
              users: c.wsUsers,
              journeyFor: () => new MixedJourney(() => emailFor('mixed', `w${wsUsersMade++}`), mix),
              deadline: Date.now() + c.durationS * 1000,
              deadlineKind: 'end',
              // Bounded in count too: far more than any user can send in the run's time.
              maxStepsPerUser: 1_000_000,
              connectConcurrency: c.connectConcurrency,
              connectTimeoutMs: c.connectTimeoutS * 1000,
              requestTimeoutMs: c.timeoutS * 1000,
              startTogether: false,
              recorder,
              label: 'ws',
            })
          : undefined,
      ]);
      recorder.finish();
      return {
        metrics: recorder.snapshot(),
        driver: 'autocannon + ws/AuthgateSocket',
        details: {
          restUsers: c.restUsers,
          wsUsers: c.wsUsers,
          ...mix,
          accountsCreatedOrTried: restUsersMade + wsUsersMade,
          restClientErrors: rest?.clientErrors ?? 0,
          ...(ws ?? {}),
        },
      };
    } finally {
      done();
    }
  },
};
