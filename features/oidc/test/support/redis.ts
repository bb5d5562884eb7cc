import { Cluster, type Redis } from 'ioredis';

/** Deletes every key whose hash tag begins with `prefix` (`{prefix:...}...`), on each master of a cluster. */
export async function deleteTagged(redis: Redis | Cluster, prefix: string): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `{${prefix}:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) await node.del(key);
    } while (cursor !== '0');
  }
}
