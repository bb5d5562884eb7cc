import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { AuthgateSocket, SocketRequestError, type WebSocketClass } from '@authgate/shared/client/socket-client';
import type { Journey } from '../journeys.ts';
import type { ScenarioRecorder } from '../metrics/recorder.ts';
import { CLIENT_CODES, frameOutcome } from '../outcomes.ts';

const NodeWebSocket = WebSocket as unknown as WebSocketClass;

export interface WebSocketRunOptions {
  /** `ws://` URLs; users are spread over them in turn. */
  urls: string[];
  users: number;
  journeyFor: (index: number) => Journey;
  /** No new request after this moment (ms since the epoch); requests in flight still end. */
  deadline: number;
  /**
   * `limit`: the deadline cuts the users short (a step left unsent counts as unfinished);
   * `end`: it is the run's planned end, and users simply stop.
   */
  deadlineKind: 'limit' | 'end';
  /** Requests one user may send at most: every loop is bounded in count as well as in time. */
  maxStepsPerUser: number;
  /** Connections being opened at once (all stay open together); the rest wait for a slot. */
  connectConcurrency: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Every user waits until all have connected (or failed to) before its first request. */
  startTogether: boolean;
  recorder: ScenarioRecorder;
  label: string;
}

export interface WebSocketRunStats {
  /** Frames that answered no request of the user (results after the client's timeout, `error` frames). */
  unsolicitedFrames: number;
  /** Highest number of connections open at the same time. */
  peakOpenConnections: number;
}

/** Counts slots for connection attempts so that a thousand users do not all dial in the same instant. */
class Slots {
  private free: number;
  private readonly queue: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }
  give(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }
}

/** Each user opens a connection with the shared typed client, runs its journey on it, and closes it. */
export async function runWebSocketUsers(options: WebSocketRunOptions): Promise<WebSocketRunStats> {
  const { recorder, label } = options;
  const slots = new Slots(options.connectConcurrency);
  const stats: WebSocketRunStats = { unsolicitedFrames: 0, peakOpenConnections: 0 };
  let open = 0;
  let dialled = 0;
  let allDialled!: () => void;
  const everyoneDialled = new Promise<void>((resolve) => (allDialled = resolve));
  const doneDialling = () => {
    if (++dialled === options.users) allDialled();
  };
  // Bounded: the deadline releases the wait whatever happened to the other users.
  const untilDeadline = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, options.deadline - Date.now())).unref());

  const runUser = async (index: number) => {
    const journey = options.journeyFor(index);
    const url = options.urls[index % options.urls.length]!;
    if (Date.now() >= options.deadline) return doneDialling();
    await slots.take();
    const connect = async (): Promise<AuthgateSocket | undefined> => {
      const started = performance.now();
      try {
        const opened = await AuthgateSocket.connect(url, NodeWebSocket, options.connectTimeoutMs);
        recorder.record(`${label} connect`, { ok: true }, performance.now() - started);
        opened.onUnsolicited = () => {
          stats.unsolicitedFrames++;
        };
        return opened;
      } catch {
        recorder.record(`${label} connect`, { ok: false, code: CLIENT_CODES.connect }, undefined);
        return undefined;
      }
    };
    let socket: AuthgateSocket;
    try {
      const opened = await connect();
      if (!opened) return doneDialling();
      socket = opened;
    } finally {
      slots.give();
    }
    open++;
    stats.peakOpenConnections = Math.max(stats.peakOpenConnections, open);
    doneDialling();
    try {
      if (options.startTogether) await Promise.race([everyoneDialled, untilDeadline]);
      for (let i = 0; i < options.maxStepsPerUser; i++) {
        const step = journey.next();
        if (!step) break;
        if (Date.now() >= options.deadline) {
          if (options.deadlineKind === 'limit') recorder.unfinished(`${label} ${step.op}`);
          break;
        }
        const sent = performance.now();
        try {
          const frame = await socket.requestWithin(step.op, step.fields, options.requestTimeoutMs);
          const { outcome, answer } = frameOutcome(step.op, frame);
          recorder.record(`${label} ${step.op}`, outcome, performance.now() - sent);
          journey.answer(step, answer);
          // A socket signed in over itself is bound to its session: logging that session out closes it
          // (4001, after the answer; docs/websocket.md). The next user of the journey dials again.
          if (step.op === 'logout' && outcome.ok) {
            await Promise.race([socket.waitForClose(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
            socket.close();
            const reopened = await connect();
            if (!reopened) break;
            socket = reopened;
          }
        } catch (err) {
          if (!(err instanceof SocketRequestError)) throw err;
          recorder.record(`${label} ${step.op}`, { ok: false, code: err.reason === 'timeout' ? CLIENT_CODES.timeout : CLIENT_CODES.closed }, undefined);
          journey.answer(step, { ok: false, status: 0 });
          if (err.reason === 'closed') break;
        }
      }
    } finally {
      open--;
      socket.close();
    }
  };

  await Promise.all(Array.from({ length: options.users }, (_, i) => runUser(i)));
  return stats;
}
