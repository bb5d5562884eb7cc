import { runRest } from '../drivers/rest.ts';
import { RefreshJourney } from '../journeys.ts';
import { ScenarioRecorder } from '../metrics/recorder.ts';
import { recorderStatus } from '../progress.ts';
import type { Scenario } from './types.ts';
import { prepareSessions } from './setup.ts';

export const refreshStorm: Scenario = {
  name: 'refresh-storm',
  title: 'Refresh storm',
  description:
    'Logged-in sessions refresh back to back (POST /auth/refresh), each with the refresh token its last refresh returned (rotation); a session whose refresh fails logs in again. One autocannon connection per session.',
  async run({ target, config, progress, emailFor }) {
    const c = config['refresh-storm'];
    const emails = Array.from({ length: c.sessions }, (_, i) => emailFor('refresh-storm', i));
    progress.log(`refresh-storm: preparing ${c.sessions} sessions`);
    const { sessions, failed } = await prepareSessions(target.httpUrls, emails, { concurrency: 32, timeoutMs: c.timeoutS * 1000 });
    const recorder = new ScenarioRecorder();
    const done = progress.track('refresh-storm', () => recorderStatus(recorder, c.durationS));
    try {
      const stats = await runRest({
        urls: target.httpUrls,
        connections: sessions.length,
        journeyFor: (i) => new RefreshJourney({ ...sessions[i]! }),
        maxSeconds: c.durationS,
        timeoutS: c.timeoutS,
        recorder,
        label: 'rest',
      });
      recorder.finish();
      return {
        metrics: recorder.snapshot(),
        driver: 'autocannon',
        details: { sessions: sessions.length, setupFailures: failed, clientErrors: stats.clientErrors },
      };
    } finally {
      done();
    }
  },
};
