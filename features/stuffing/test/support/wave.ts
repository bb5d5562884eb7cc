import { loopbackAddress, postFrom } from './from-address.ts';

export interface WaveStats {
  sent: number;
  /** Answers by status (0: no answer). */
  byStatus: Record<number, number>;
  /** Epoch ms of the first `challenge_required` the wave got. */
  firstChallengeAt?: number;
}

/**
 * A credential stuffing wave, as a botnet sends it: `ratePerS` logins a second, each from a source
 * address of its own (127.0.0.0/8, one try each), with leaked pairs: real emails with a wrong
 * password and emails that have no account. The bots never solve a challenge. Bounded: it stops by
 * itself after `maxSeconds`.
 */
export class StuffingWave {
  readonly stats: WaveStats = { sent: 0, byStatus: {} };
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private next: number;
  startedAt = 0;

  constructor(
    private readonly edges: string[],
    private readonly options: { ratePerS: number; emails: (i: number) => string; firstAddress: number; maxSeconds: number },
  ) {
    this.next = options.firstAddress;
  }

  start(): void {
    this.startedAt = Date.now();
    const tickMs = 50;
    let owed = 0;
    this.timer = setInterval(() => {
      if (Date.now() - this.startedAt > this.options.maxSeconds * 1000) return this.halt();
      owed += (this.options.ratePerS * tickMs) / 1000;
      while (owed >= 1) {
        owed--;
        this.send();
      }
    }, tickMs);
  }

  private send(): void {
    const i = this.next++;
    const edge = this.edges[i % this.edges.length]!;
    const body = { email: this.options.emails(i), password: `leaked-password-${i}`, deviceId: `bot-${i}` };
    this.stats.sent++;
    const work = postFrom(edge, '/auth/login', body, loopbackAddress(i))
      .then(
        (answer) => {
          this.stats.byStatus[answer.status] = (this.stats.byStatus[answer.status] ?? 0) + 1;
          if (answer.body?.error?.code === 'challenge_required' && this.stats.firstChallengeAt === undefined) this.stats.firstChallengeAt = Date.now();
        },
        () => {
          this.stats.byStatus[0] = (this.stats.byStatus[0] ?? 0) + 1;
        },
      )
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private halt(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops sending and waits for the answers still owed. */
  async stop(): Promise<WaveStats> {
    this.halt();
    await Promise.allSettled([...this.inFlight]);
    return this.stats;
  }

  /** The address index after the last one used (the next wave starts there: every address tries once). */
  get nextAddress(): number {
    return this.next;
  }
}
