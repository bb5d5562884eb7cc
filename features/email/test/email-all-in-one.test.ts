import path from 'node:path';
import { after, before, describe } from 'node:test';
import { emailScenarios, requireVerifiedScenarios, type EmailDeployment } from '../../../test/helpers/email-scenarios.ts';
import { OutboxMailbox } from '../../../test/helpers/mailbox.ts';
import { startProcess, type RunningProcess } from '../../../test/helpers/processes.ts';
import { tempDir } from '../../../test/helpers/services.ts';

/**
 * The same email flows in the all-in-one shape (`--target=all`): in-process queue, mail lane and
 * events, the embedded database, and no SMTP_URL, so every mail is an .eml file under
 * DATA_DIR/outbox/, read and parsed here with mailparser.
 */
const PUBLIC_URL = 'https://auth.example.test/app';
const RESEND_PER_HOUR = 2;
const NOTICES_PER_HOUR = 2;

const settings = {
  BCRYPT_COST: '4',
  PUBLIC_URL,
  RATE_LIMIT_IP_PER_MINUTE: '100000',
  LOGIN_FREE_FAILURES: '1000',
  WS_MAX_MESSAGES_PER_10S: '1000',
  EMAIL_RESEND_PER_HOUR: String(RESEND_PER_HOUR),
  SECURITY_NOTICE_MAILS_PER_HOUR: String(NOTICES_PER_HOUR),
  PASSWORD_RESET_MAILS_PER_HOUR: '1000',
  // One account signs in from several devices here; new-device approval has its own tests.
  DEVICE_VERIFICATION: 'off',
};

async function allInOne(label: string, extra: Record<string, string>) {
  const data = tempDir(label);
  const all = await startProcess('all', { ...settings, ...extra, DATA_DIR: data.dir });
  const deployment: EmailDeployment = {
    url: all.url,
    wsUrl: all.wsUrl,
    apiUrl: all.url,
    mailbox: new OutboxMailbox(path.join(data.dir, 'outbox')),
    publicUrl: PUBLIC_URL,
    resendPerHour: RESEND_PER_HOUR,
    noticesPerHour: NOTICES_PER_HOUR,
  };
  return { all, data, deployment };
}

describe('email flows: all-in-one, mails in DATA_DIR/outbox', () => {
  let open: Awaited<ReturnType<typeof allInOne>>;
  let gated: Awaited<ReturnType<typeof allInOne>>;
  const stopped: RunningProcess[] = [];

  before(async () => {
    [open, gated] = await Promise.all([allInOne('email-aio', {}), allInOne('email-aio-req', { REQUIRE_VERIFIED_EMAIL: 'on' })]);
    stopped.push(open.all, gated.all);
  });

  after(async () => {
    await Promise.all(stopped.map((p) => p.stop()));
    open?.data.remove();
    gated?.data.remove();
  });

  describe('REQUIRE_VERIFIED_EMAIL off (the default)', () => {
    emailScenarios(() => open.deployment);
  });

  describe('REQUIRE_VERIFIED_EMAIL on', () => {
    requireVerifiedScenarios(() => gated.deployment);
  });
});
