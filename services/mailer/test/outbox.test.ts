import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { MAIL_KINDS, type MailJob } from '@authgate/shared/mail/job';
import { MemoryMailQueue } from '@authgate/shared/mail/memory-queue';
import { tempDir } from '../../../test/helpers/services.ts';
import { startMailer } from '../src/index.ts';
import { assertNoSecretsLogged, capturedLogger, mailerConfig, makeJob, waitFor } from './support.ts';

test('without SMTP_URL each mail is an .eml file in DATA_DIR/outbox (0700), and the log names the file only', async () => {
  const data = tempDir('outbox');
  const mail = new MemoryMailQueue(100);
  const { log, lines } = capturedLogger();
  const mailer = await startMailer(mailerConfig({ DATA_DIR: data.dir }), { mail, log });
  try {
    assert.equal(mailer.mode, 'outbox');
    const outbox = path.join(data.dir, 'outbox');
    const jobs: MailJob[] = MAIL_KINDS.map((kind) => makeJob(kind));
    for (const job of jobs) await mail.publish(job);
    const files = () => readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    await waitFor('one file per mail', () => {
      try {
        return files().length === jobs.length;
      } catch {
        return false; // the folder is created with the first mail
      }
    });
    assert.equal(statSync(outbox).mode & 0o777, 0o700, 'only the owner may enter the outbox');
    assert.deepEqual(
      readdirSync(outbox).filter((f) => !f.endsWith('.eml')),
      [],
      'no temporary file left',
    );
    for (const job of jobs) {
      const name = files().find((f) => f.includes(job.id));
      assert.ok(name, `a file for ${job.kind}`);
      assert.match(name, new RegExp(`^\\d{8}T\\d{6}Z-${job.kind}-${job.id}\\.eml$`));
      assert.equal(statSync(path.join(outbox, name)).mode & 0o777, 0o600);
      // The file is a whole message, as SMTP would have carried it.
      const parsed = await simpleParser(readFileSync(path.join(outbox, name)));
      assert.equal(parsed.messageId, `<${job.id}@example.com>`);
      assert.equal(parsed.from?.value[0]?.address, 'no-reply@example.com');
      const secret = (job.data as { token?: string; code?: string }).token ?? (job.data as { code?: string }).code;
      if (secret) assert.ok(parsed.text?.includes(secret) && (parsed.html as string).includes(secret), `${job.kind}: the link or code is in the file`);
      // The log line names the file, and nothing secret.
      const line = lines.find((l) => l.includes(job.id) && l.includes('outbox'));
      assert.ok(line?.includes(name), `the log names ${name}`);
    }
    assertNoSecretsLogged(lines, jobs);

    // A job delivered again (at-least-once) rewrites its own file instead of adding a second one.
    const again = jobs[0]!;
    await mail.publish(again);
    await waitFor('the second write', () => lines.filter((l) => l.includes(again.id) && l.includes('outbox file')).length === 2);
    assert.equal(files().length, jobs.length);
  } finally {
    await mailer.stop();
    await mail.close();
    data.remove();
  }
});
