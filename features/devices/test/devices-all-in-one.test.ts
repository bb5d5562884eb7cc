import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { simpleParser } from 'mailparser';
import { DEVICE_TEST_LIMITS as LIMITS, deviceScenarios, type DeviceDeployment } from '../../../test/helpers/device-scenarios.ts';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { tempDir } from '../../../test/helpers/services.ts';

/** The same new-device scenarios in the all-in-one shape: in-process drivers, mail as .eml files in DATA_DIR/outbox. */
describe('new-device approval: all-in-one', () => {
  const data = tempDir('devices-aio');
  const offData = tempDir('devices-aio-off');
  const processes: RunningProcess[] = [];
  let deployment: DeviceDeployment;

  before(async () => {
    const common = {
      BCRYPT_COST: '4',
      LOG_LEVEL: 'debug',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      LOGIN_FREE_FAILURES: '1000',
      WS_MAX_MESSAGES_PER_10S: '1000',
      // Each limit scenario comes from client addresses of its own (X-Forwarded-For from the test).
      TRUSTED_PROXIES: '127.0.0.1',
      MFA_ACCOUNT_MAX_FAILURES: String(LIMITS.codeFailuresPerAccount),
      MFA_IP_MAX_FAILURES: String(LIMITS.codeFailuresPerAddress),
      DEVICE_MAILS_PER_HOUR: String(LIMITS.noticesPerHour),
    };
    const [all, off] = await Promise.all([
      startProcess('all', { ...common, DATA_DIR: data.dir }),
      startProcess('all', { ...common, DATA_DIR: offData.dir, DEVICE_VERIFICATION: 'off' }),
    ]);
    processes.push(all!, off!);
    const edge = { url: all!.url, wsUrl: all!.wsUrl };
    const outbox = path.join(data.dir, 'outbox');
    deployment = {
      a: edge,
      b: edge,
      apiUrl: all!.url,
      off: { url: off!.url, wsUrl: off!.wsUrl },
      limits: LIMITS,
      mails: async (email) => {
        let files: string[];
        try {
          files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
        } catch {
          return []; // the outbox is made with the first mail
        }
        const mails = await Promise.all(files.map(async (f) => simpleParser(readFileSync(path.join(outbox, f)))));
        return mails
          .filter((mail) => !Array.isArray(mail.to) && mail.to?.value.some((to) => to.address === email))
          .map((mail) => ({ subject: mail.subject ?? '', text: mail.text ?? '' }));
      },
      logLines: () => processes.flatMap((p) => p.lines.map((line) => JSON.stringify(line))),
    };
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    data.remove();
    offData.remove();
  });

  deviceScenarios(() => deployment);
});
