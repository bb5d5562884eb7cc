import { z } from 'zod';
import { PASSKEY_LIVE_EVENTS } from '@authgate/features/passkeys/contract';

/** The live events a WebSocket authenticated as an account receives (docs/websocket.md). */
export const LIVE_EVENT_NAMES = [
  'session.revoked',
  'security.refresh_reuse',
  'security.new_sign_in',
  'device.approval_requested',
  'device.approved',
  'device.denied',
  'password.changed',
  'mfa.enabled',
  ...PASSKEY_LIVE_EVENTS,
] as const;
export type LiveEventName = (typeof LIVE_EVENT_NAMES)[number];

/** The WebSocket close code for the connections of a revoked session. */
export const SESSION_REVOKED_CLOSE = 4001;

/**
 * One event for one account, as it crosses the bus. `sessionId` set: only that session's connections
 * receive it. `closeSession` set: after sending, the connections of that session are closed with 4001.
 * `connectionId` set (publishToConnection): only that connection receives it, authenticated or not.
 */
export const accountEventSchema = z.object({
  userId: z.string().min(1).max(64),
  event: z.enum(LIVE_EVENT_NAMES),
  data: z.record(z.string(), z.unknown()),
  sessionId: z.string().min(1).max(64).optional(),
  closeSession: z.string().min(1).max(64).optional(),
  connectionId: z.string().min(1).max(128).optional(),
});
export type AccountEvent = z.infer<typeof accountEventSchema>;

export type AccountEventHandler = (event: AccountEvent) => void;

/**
 * Live account events across edges (DESIGN.md "Live account events"). Each edge records which accounts
 * it holds authenticated connections for (presence, with a TTL it refreshes); an event is published once
 * on the channel of each edge in the account's presence set, never broadcast: its cost grows with the
 * edges that hold the account, not with the cluster. Both drivers pass one contract suite.
 */
export interface LiveEvents {
  /** This node holds authenticated connections of these accounts, for the next `ttlMs` at least. */
  present(nodeId: string, userIds: readonly string[]): Promise<void>;
  /** This node no longer holds any connection of the account. */
  absent(nodeId: string, userId: string): Promise<void>;
  /** Publishes once per edge holding the account; resolves with how many edges that was. */
  publish(event: AccountEvent): Promise<number>;
  /**
   * Publishes to one connection, on the channel of the node that holds it (no presence is asked): a
   * connection that is not authenticated yet, such as a sign-in waiting for its device's approval.
   * Only workers call it, with the connection named in the command they answer, the one its result
   * would reach: a client can no more address another connection this way than with a result.
   */
  publishToConnection(nodeId: string, connectionId: string, event: Omit<AccountEvent, 'connectionId' | 'sessionId' | 'closeSession'>): Promise<void>;
  /** Listens on this node's own live channel. */
  follow(nodeId: string, handler: AccountEventHandler): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** How long an edge's presence lasts unless refreshed; edges refresh at a third of it. */
export const PRESENCE_TTL_MS = 60_000;
