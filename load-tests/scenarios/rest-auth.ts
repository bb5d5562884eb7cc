import { runRest } from '../drivers/rest.ts';
import { SignupJourney } from '../journeys.ts';
import { ScenarioRecorder } from '../metrics/recorder.ts';
import { recorderStatus } from '../progress.ts';
import type { Scenario } from './types.ts';

export const restAuth: Scenario = {
  name: 'rest-auth',
  title: 'Sign-up and login over REST',
  description:
    'Every virtual user opens its own connection at the same moment, registers a new account (POST /auth/register) and logs in to it (POST /auth/login). Driven by autocannon.',
  async run({ target, config, progress, emailFor }) {
    const c = config['rest-auth'];
    const recorder = new ScenarioRecorder();
    const done = progress.track('rest-auth', () => recorderStatus(recorder));
    try {
      const stats = await runRest({
        urls: target.httpUrls,
        connections: c.users,
        journeyFor: (i) => new SignupJourney(emailFor('rest-auth', i)),
        requestsPerConnection: 2,
        maxSeconds: c.maxSeconds,
        timeoutS: c.timeoutS,
        recorder,
        label: 'rest',
      });
      recorder.finish();
      return {
        metrics: recorder.snapshot(),
        driver: 'autocannon',
        details: { users: c.users, clientErrors: stats.clientErrors, stoppedByTimeLimit: stats.stoppedByTime },
      };
    } finally {
      done();
    }
  },
};
