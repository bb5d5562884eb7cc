import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface NginxLayout {
  /** nginx's prefix: its config, pid, logs and temp files all live here. */
  dir: string;
  host: string;
  port: number;
  /** host:port of each edge node. */
  edges: string[];
  /** host:port of each account API process; none renders a server marked down (JSON 503). */
  api: string[];
}

/** The nginx binary: NGINX_BIN, else Debian's /usr/sbin/nginx, else `nginx` on the PATH. */
export function nginxBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NGINX_BIN) return env.NGINX_BIN;
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
}

const serverLines = (addresses: string[]) => addresses.map((a) => `    server ${a} max_fails=1 fail_timeout=2s;`).join('\n');

/**
 * Renders nginx/cluster.conf.template into `<dir>/nginx.conf` and links nginx/authgate beside it, so
 * the local cluster runs the same routes, limits and error pages as the production nginx.conf.
 */
export function renderNginxConfig(root: string, layout: NginxLayout): string {
  const { dir } = layout;
  for (const sub of ['logs', 'temp']) mkdirSync(path.join(dir, sub), { recursive: true });
  const shared = path.join(dir, 'authgate');
  rmSync(shared, { force: true, recursive: true });
  symlinkSync(path.join(root, 'nginx', 'authgate'), shared, 'dir');
  const fields: Record<string, string> = {
    DIR: dir,
    HOST: layout.host,
    PORT: String(layout.port),
    EDGE_SERVERS: serverLines(layout.edges),
    // An upstream needs a server; one marked down makes nginx answer the JSON 503 of server.conf.
    API_SERVERS: layout.api.length > 0 ? serverLines(layout.api) : '    server 127.0.0.1:9 down;',
  };
  const template = readFileSync(path.join(root, 'nginx', 'cluster.conf.template'), 'utf8');
  const rendered = template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const value = fields[name];
    if (value === undefined) throw new Error(`cluster.conf.template: unknown field {{${name}}}`);
    return value;
  });
  const file = path.join(dir, 'nginx.conf');
  writeFileSync(file, rendered);
  return file;
}

/** Arguments that run nginx in the foreground with everything under `dir`. */
export function nginxArgs(dir: string, configFile: string): string[] {
  return ['-p', `${dir}/`, '-c', configFile, '-e', 'stderr', '-g', 'daemon off;'];
}
