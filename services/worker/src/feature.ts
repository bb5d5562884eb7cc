import type { Command, CommandKind } from '@authgate/shared/protocol';
import { FEATURES } from '@authgate/features/list';
import type { HandlerOutcome, WorkerContext } from './context.ts';

/** One of the drivers a worker builds (services/worker/src/index.ts), by its name. */
export type Driver = keyof WorkerContext;

/** The drivers named in `N`, and nothing else. */
export type Drivers<N extends Driver> = Pick<WorkerContext, N>;

/** A command's handler, given only the drivers its feature declared. */
export type FeatureHandler<N extends Driver> = (command: Command, ctx: Drivers<N>) => Promise<HandlerOutcome>;

/** A feature's worker part (features/<name>/worker/index.ts): the drivers it needs, and a handler for each of its commands. */
export interface FeatureWorker<N extends Driver = Driver> {
  needs: readonly N[];
  handlers: Readonly<Record<string, FeatureHandler<N>>>;
}

/** Keeps `needs` as literal names, so that each handler is checked against exactly those drivers. */
export function defineWorker<const N extends Driver>(part: FeatureWorker<N>): FeatureWorker<N> {
  return part;
}

/** Runs one command for the context the worker was built with. */
export type BoundHandler = (command: Command) => Promise<HandlerOutcome>;

/** The drivers named in `needs`, taken from the worker's whole set. */
function driversOf<N extends Driver>(ctx: WorkerContext, needs: readonly N[]): Drivers<N> {
  return Object.fromEntries(needs.map((name) => [name, ctx[name]])) as Drivers<N>;
}

/**
 * Loads the worker part of every feature in the list (an edge never does: its modules reach the
 * database and bcrypt) and binds each handler to the drivers its feature declared. A command of the
 * contract without a handler, or a handler for no command of its feature, stops the worker at start
 * rather than at the first request.
 */
export async function loadHandlers(ctx: WorkerContext): Promise<Record<CommandKind, BoundHandler>> {
  const bound = new Map<string, BoundHandler>();
  for (const feature of FEATURES) {
    const kinds: ReadonlySet<string> = new Set(feature.commands.map((command) => command.kind));
    if (!feature.worker) {
      if (kinds.size > 0) throw new Error(`feature ${feature.name} has commands but no worker part`);
      continue;
    }
    const { needs, handlers } = (await feature.worker()).default;
    const drivers = driversOf(ctx, needs);
    for (const [kind, handler] of Object.entries(handlers)) {
      if (!kinds.has(kind)) throw new Error(`feature ${feature.name} has a handler for ${kind}, which is none of its commands`);
      bound.set(kind, (command) => handler(command, drivers));
    }
    for (const kind of kinds) if (!bound.has(kind)) throw new Error(`feature ${feature.name} has no handler for ${kind}`);
  }
  return Object.fromEntries(bound) as Record<CommandKind, BoundHandler>;
}
