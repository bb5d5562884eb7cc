import { connect, type Socket } from 'node:net';

/**
 * Redis's own record of the commands it runs (MONITOR), read over a plain socket. ioredis's
 * `monitor()` mistakes a monitor line that arrives in the same read as MONITOR's `+OK` for a reply
 * to no command ("Command queue state error") and then fails the connection: on a Redis busy with
 * other suites' traffic that happens often enough to fail a test. Here every line after the `+OK`
 * is a monitor line, whatever read it comes in.
 */
export class RedisMonitor {
  private constructor(private readonly socket: Socket) {}

  /** Starts monitoring; resolves once Redis has said OK, so no command run after it is missed. */
  static open(redisUrl: string, onCommand: (args: string[]) => void): Promise<RedisMonitor> {
    const url = new URL(redisUrl);
    const socket = connect(Number(url.port || 6379), url.hostname);
    socket.setEncoding('utf8');
    return new Promise((resolve, reject) => {
      let buffered = '';
      let started = false;
      socket.once('error', reject);
      socket.on('connect', () => socket.write('MONITOR\r\n'));
      socket.on('data', (chunk: string) => {
        buffered += chunk;
        let end = buffered.indexOf('\r\n');
        while (end >= 0) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf('\r\n');
          if (!started) {
            if (line !== '+OK') {
              reject(new Error(`MONITOR answered ${line}`));
              socket.destroy();
              return;
            }
            started = true;
            socket.removeListener('error', reject);
            socket.on('error', () => {});
            resolve(new RedisMonitor(socket));
            continue;
          }
          const args = parseMonitorLine(line);
          if (args) onCommand(args);
        }
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** `+1700000000.123456 [0 127.0.0.1:50000] "zrem" "key" "member"` → ['zrem', 'key', 'member']. */
export function parseMonitorLine(line: string): string[] | undefined {
  const start = line.indexOf('] ');
  if (!line.startsWith('+') || start < 0) return undefined;
  const args: string[] = [];
  for (const match of line.slice(start + 2).matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    // Redis escapes quotes, backslashes and non-printable bytes; the names and keys matched here are plain.
    args.push(match[1]!.replace(/\\(["\\])/g, '$1'));
  }
  return args;
}
