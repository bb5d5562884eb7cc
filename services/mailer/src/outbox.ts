import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The outbox of a deployment without SMTP: one `.eml` file per mail under DATA_DIR/outbox/, a folder
 * only its owner may enter (0700: the files hold live links and codes). A file is named after its
 * job (creation time, kind, id), so a job delivered twice writes the same file twice, not two files;
 * it is written to a temporary name and renamed, so a reader never sees half a mail.
 */
export class Outbox {
  readonly dir: string;
  private prepared: Promise<void> | undefined;

  constructor(dataDir: string) {
    this.dir = path.resolve(dataDir, 'outbox');
  }

  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // mkdir's mode applies only to a folder it creates (and passes through the umask): make sure.
      await chmod(this.dir, 0o700);
    })().catch((err: unknown) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }

  /** Writes one raw message; returns the file's name (not its path: a log line needs no more). */
  async write(job: { id: string; kind: string; createdAt: string }, raw: Buffer): Promise<string> {
    await this.prepare();
    const stamp = job.createdAt.replace(/[-:]/g, '').replace(/\.\d+/, '');
    const name = `${stamp}-${job.kind}-${job.id}.eml`;
    const file = path.join(this.dir, name);
    const temporary = `${file}.tmp`;
    await writeFile(temporary, raw, { mode: 0o600 });
    await rename(temporary, file);
    return name;
  }
}
