import amqplib from 'amqplib';
import pg from 'pg';

/** What the audit trail did during one phase: events the broker took vs rows the writers stored. */
export interface AuditReport {
  /** Distinct events the broker accepted (publisher confirm) during the phase: "emitted". */
  emitted: number;
  /** Messages the tap received: above `emitted` when a publisher sent one event twice (a retry). */
  published: number;
  /** Of the emitted events, those stored in audit_events (after the writers drained the queue). */
  stored: number;
  /** Emitted and not stored within the wait: lost. */
  missing: number;
  /** Rows of the whole table beyond one per event id (all phases so far). */
  duplicateRows: number;
  /** Seconds from the end of the load until every emitted event was stored (or the wait ran out). */
  settleS: number;
  /**
   * The writers' own counts (GET /metrics of each worker alive at the end, since its start): batches
   * that failed and went back, events handed out again, and those skipped as stored already.
   */
  writers: { failedBatches: number; redelivered: number; duplicatesSkipped: number };
}

const WRITER_SERIES = {
  failedBatches: 'authgate_audit_batches_total{outcome="failed"}',
  redelivered: 'authgate_audit_redeliveries_total',
  duplicatesSkipped: 'authgate_audit_duplicates_skipped_total',
} as const;

/** Sums the writer counters over the workers' metrics endpoints (one unreachable counts as 0). */
async function writerCounts(metricsUrls: string[]): Promise<AuditReport['writers']> {
  const out = { failedBatches: 0, redelivered: 0, duplicatesSkipped: 0 };
  for (const url of metricsUrls) {
    const text = await fetch(url).then(
      (r) => r.text(),
      () => '',
    );
    for (const [key, series] of Object.entries(WRITER_SERIES) as Array<[keyof typeof out, string]>) {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      if (line) out[key] += Number(line.slice(series.length + 1));
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * "Events emitted" measured outside the app: a queue of the harness's own, bound to the events
 * exchange with `#` beside the audit queue, so every event the broker accepted (a confirm means it is
 * in every bound queue, persistent) is also here, whoever published it and whatever then happened to
 * the writer or the database. A worker killed before its publish was confirmed emitted nothing: the
 * event is in neither queue. After each phase the tap is drained and its ids are looked up in
 * audit_events: emitted = stored, and no id twice.
 */
export class AuditTap {
  private readonly queue: string;
  private readonly exchange: string;

  /**
   * `amqpUrl`: one broker, or every node of a RabbitMQ cluster (comma-separated, as AMQP_URL takes
   * them); on a cluster the tap is a quorum queue, so a node killed by a fault takes no count with it.
   */
  constructor(
    private readonly amqpUrl: string,
    namespace: string,
  ) {
    this.exchange = `${namespace}.events`;
    this.queue = `${namespace}.chaos-audit-tap`;
  }

  /** Before the first event: the exchange as the event bus declares it, and the tap bound to all of it. */
  async attach(): Promise<void> {
    await this.withChannel(async (channel) => {
      await channel.assertExchange(this.exchange, 'topic', { durable: true });
      const quorum = this.nodes().length > 1;
      await channel.assertQueue(this.queue, { durable: true, ...(quorum ? { arguments: { 'x-queue-type': 'quorum' } } : {}) });
      await channel.bindQueue(this.queue, this.exchange, '#');
    });
  }

  /** Takes every event the tap holds (until it stays empty for `quietMs`): their ids, with repeats. */
  async drain(quietMs = 1_500): Promise<string[]> {
    return this.withChannel(async (channel) => {
      const ids: string[] = [];
      await channel.prefetch(1_000);
      let last = Date.now();
      await channel.consume(this.queue, (message) => {
        if (!message) return;
        ids.push((JSON.parse(message.content.toString()) as { id: string }).id);
        channel.ack(message);
        last = Date.now();
      });
      while (Date.now() - last < quietMs) await sleep(100);
      return ids;
    });
  }

  async remove(): Promise<void> {
    await this.withChannel(async (channel) => {
      await channel.deleteQueue(this.queue);
    });
  }

  /**
   * Drains the events of the phase and waits (up to `waitMs`) until the audit writers have stored them:
   * the PostgreSQL fault leaves a backlog to catch up on, a killed writer's batches come back.
   */
  async check(databaseUrl: string, writerMetricsUrls: string[], endedAt: number, waitMs = 60_000): Promise<AuditReport> {
    const published = await this.drain();
    const ids = [...new Set(published)];
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const storedOf = async () =>
        ids.length === 0
          ? 0
          : Number((await client.query<{ n: string }>('SELECT count(DISTINCT id) AS n FROM audit_events WHERE id = ANY($1::uuid[])', [ids])).rows[0]!.n);
      let stored = await storedOf();
      const until = Date.now() + waitMs;
      while (stored < ids.length && Date.now() < until) {
        await sleep(250);
        stored = await storedOf();
      }
      const settleS = (Date.now() - endedAt) / 1000;
      const { rows } = await client.query<{ rows: string; distinct: string }>('SELECT count(*) AS rows, count(DISTINCT id) AS distinct FROM audit_events');
      return {
        emitted: ids.length,
        published: published.length,
        stored,
        missing: ids.length - stored,
        duplicateRows: Number(rows[0]!.rows) - Number(rows[0]!.distinct),
        settleS,
        writers: await writerCounts(writerMetricsUrls),
      };
    } finally {
      await client.end();
    }
  }

  private nodes(): string[] {
    return this.amqpUrl
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean);
  }

  /** The first node that answers: after a fault, the killed one may be first in the list. */
  private async connect(): Promise<amqplib.ChannelModel> {
    let last: unknown;
    for (const url of this.nodes()) {
      try {
        return await amqplib.connect(url);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  private async withChannel<T>(work: (channel: amqplib.Channel) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    try {
      const channel = await connection.createChannel();
      return await work(channel);
    } finally {
      await connection.close();
    }
  }
}
