import type { Command, CommandKind } from '@authgate/shared/protocol';
import { FEATURES } from '@authgate/features/list';
import type { CommandHandler, HandlerOutcome, WorkerContext } from './context.ts';

/** A feature's worker part (features/<name>/worker/index.ts): a handler for each of its commands. */
export interface FeatureWorker {
  handlers: Readonly<Record<string, CommandHandler>>;
}

/** Runs one command for the context the worker was built with. */
export type BoundHandler = (command: Command) => Promise<HandlerOutcome>;

/**
 * Loads the worker part of every feature in the list (an edge never does: its modules reach the
 * database and bcrypt) and binds each handler to `ctx`. A command of the contract without a handler,
 * or a handler for no command of its feature, stops the worker at start rather than at the first request.
 */
export async function loadHandlers(ctx: WorkerContext): Promise<Record<CommandKind, BoundHandler>> {
  const bound = new Map<string, BoundHandler>();
  for (const feature of FEATURES) {
    const kinds: ReadonlySet<string> = new Set(feature.commands.map((command) => command.kind));
    if (!feature.worker) {
      if (kinds.size > 0) throw new Error(`feature ${feature.name} has commands but no worker part`);
      continue;
    }
    const { handlers } = (await feature.worker()).default;
    for (const [kind, handler] of Object.entries(handlers)) {
      if (!kinds.has(kind)) throw new Error(`feature ${feature.name} has a handler for ${kind}, which is none of its commands`);
      bound.set(kind, (command) => handler(command, ctx));
    }
    for (const kind of kinds) if (!bound.has(kind)) throw new Error(`feature ${feature.name} has no handler for ${kind}`);
  }
  return Object.fromEntries(bound) as Record<CommandKind, BoundHandler>;
}
