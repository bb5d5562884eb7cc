import type { RedisClient } from './redis.ts';

/**
 * A Lua script bound to a client, returned as a function of the type the caller names: its first
 * `keys` arguments are the script's KEYS (a Redis Cluster client routes the call by them), the rest its
 * ARGV. ioredis sends EVALSHA and falls back to EVAL when the server does not hold the script yet
 * (after a restart or a failover). The one place that reaches past ioredis's untyped custom commands.
 */
export function defineScript<Call extends (...args: never[]) => Promise<unknown>>(client: RedisClient, name: string, keys: number, lua: string): Call {
  client.defineCommand(name, { numberOfKeys: keys, lua });
  const command = (client as unknown as Record<string, Call | undefined>)[name];
  if (!command) throw new Error(`redis script ${name} was not defined`);
  return command.bind(client) as Call;
}
