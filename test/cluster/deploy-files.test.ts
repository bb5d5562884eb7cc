import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import { configSchema, loadConfig, TARGETS, type Target } from '@authgate/shared/config';
import { ROOT } from '../../scripts/cluster/index.ts';
import { nginxBinary } from '../../scripts/cluster/nginx.ts';
import { tempDir } from '../helpers/services.ts';

/**
 * No Docker engine or Railway account here: the deployment files are checked against the repository
 * instead. Every command they run, file they mount, port they name and setting they pass must exist
 * here and mean what they claim; the production nginx config must pass `nginx -t`.
 */

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** Compose's own tags: `!reset` empties an inherited value, `!override` replaces it. */
type Marker = { __compose: '!reset' | '!override'; value: unknown };
const composeTags = (['!reset', '!override'] as const).flatMap((tag) =>
  (['seq', 'map'] as const).map((collection) => ({ tag, collection, resolve: (v: { toJSON(): unknown }) => ({ __compose: tag, value: v.toJSON() }) })),
);
const isMarker = (v: unknown): v is Marker => typeof v === 'object' && v !== null && '__compose' in v;

function parseCompose(file: string): any {
  const doc = YAML.parseDocument(read(file), { merge: true, customTags: composeTags as never });
  assert.deepEqual(
    [...doc.errors, ...doc.warnings].map((e) => e.message),
    [],
    `${file} parses cleanly`,
  );
  return doc.toJS({ maxAliasCount: 1000 });
}

/** Compose's merge of an override file onto a base: maps merge, lists add up, commands replace. */
function mergeCompose(base: any, override: any, key = ''): any {
  if (isMarker(override)) return override.__compose === '!reset' ? (Array.isArray(override.value) ? [] : {}) : override.value;
  if (Array.isArray(base) && Array.isArray(override)) {
    return ['command', 'entrypoint', 'test'].includes(key) ? override : [...new Set([...base, ...override])];
  }
  if (base && override && typeof base === 'object' && typeof override === 'object') {
    const out: any = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in base ? mergeCompose(base[k], v, k) : unmark(v);
    return out;
  }
  return override === undefined ? base : unmark(override);
}
const unmark = (v: unknown): unknown => (isMarker(v) ? v.value : v);

/** Variables whose value must have a shape of its own to load (the others are free text or a URL's password). */
const SAMPLES: Record<string, string> = { PUBLIC_URL: 'https://auth.example.com', MAIL_FROM: 'Example <no-reply@example.com>' };
/** `${VAR}`, `${VAR:-x}`, `${VAR:?msg}` → a sample value, as compose would with the variable set. */
const interpolate = (value: string) =>
  value.replace(/\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}/g, (_, name: string) => SAMPLES[name] ?? `sample${name.toLowerCase().replace(/_/g, '')}`);

const base = parseCompose('docker-compose.yml');
const prodOverride = parseCompose('docker-compose.prod.yml');
const prod = mergeCompose(base, prodOverride);
const APP_SERVICES = ['edge', 'worker', 'api', ...(existsSync(path.join(ROOT, 'services/mailer/src/index.ts')) ? (['mailer'] as const) : [])] as const;
const SETTINGS = new Set(Object.keys(configSchema.shape));
/** The service images' own variables that compose may set. */
const IMAGE_VARIABLES: Record<string, RegExp> = { postgres: /^POSTGRES_/, rabbitmq: /^RABBITMQ_/, redis: /^REDISCLI_/ };

/** NAME_FILE names a setting the loader reads from that file: found by asking loadConfig itself. */
function readsFromFile(name: string): boolean {
  const setting = name.replace(/_FILE$/, '');
  if (setting === name || !SETTINGS.has(setting)) return false;
  const content = 'postgres://from-file@h/db';
  try {
    const config = loadConfig({ [name]: '/run/secrets/x' }, 'all', () => content) as unknown as Record<string, unknown>;
    return config[setting] === content;
  } catch (err) {
    // The content was read into the setting and then judged (not a URL of its kind): it is read.
    return String((err as Error).message).includes(`${setting}:`);
  }
}

function environmentOf(service: any): Record<string, string> {
  const env = service.environment ?? {};
  assert.ok(!Array.isArray(env), 'environment is written as a map');
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))]));
}

/** Loads the service's settings as the process would, *_FILE secrets read as stand-ins. */
function loadAs(target: Target, env: Record<string, string>) {
  return loadConfig(env, target, (file) => (file.endsWith('smtp_url') ? 'smtps://user:pass@smtp.example.com:465' : `stand-in for ${file}`));
}

describe('deployment files', () => {
  test('docker-compose.yml: Redis, RabbitMQ with its management UI, PostgreSQL, nginx, edge, worker, api', () => {
    const names = Object.keys(base.services).sort();
    const expected = ['api', 'edge', 'nginx', 'postgres', 'rabbitmq', 'redis', 'worker'];
    if (existsSync(path.join(ROOT, 'services/mailer/src/index.ts'))) expected.push('mailer');
    assert.deepEqual(names, expected.sort());
    assert.match(base.services.rabbitmq.image, /management/);
    assert.ok(
      base.services.rabbitmq.ports.some((p: string) => p.endsWith(':15672')),
      'management UI published',
    );
    for (const [name, service] of Object.entries<any>(base.services)) {
      for (const dep of Object.keys(service.depends_on ?? {})) assert.ok(dep in base.services, `${name} depends on a service that exists (${dep})`);
    }
    // Edges and workers are scaled (and documented as `--scale`).
    assert.ok(base.services.edge.deploy.replicas >= 2);
    assert.ok(base.services.worker.deploy.replicas >= 2);
  });

  test('every app service runs bin/authgate.ts with a --target that exists, and names only real settings', () => {
    for (const file of ['bin/authgate.ts', 'bin/threadpool.cjs']) assert.ok(existsSync(path.join(ROOT, file)), file);
    for (const [label, compose] of [
      ['base', base],
      ['prod', prod],
    ] as const) {
      for (const name of APP_SERVICES) {
        const service = compose.services[name];
        assert.deepEqual(
          service.command,
          ['node', '--require', './bin/threadpool.cjs', '--import', 'tsx', 'bin/authgate.ts', `--target=${name}`],
          `${label} ${name} command`,
        );
        assert.ok((TARGETS as readonly string[]).includes(name), `--target=${name} is a target of bin/authgate.ts`);
        const env = environmentOf(service);
        for (const key of Object.keys(env)) assert.ok(SETTINGS.has(key) || readsFromFile(key), `${label} ${name}: ${key} is a setting of shared/src/config.ts`);
        // The settings load as the process would load them: valid values, and in production every
        // secret the role needs is there.
        assert.doesNotThrow(() => loadAs(name, env), `${label} ${name} settings load`);
      }
      for (const name of Object.keys(IMAGE_VARIABLES)) {
        for (const key of Object.keys(environmentOf(compose.services[name])))
          assert.match(key, IMAGE_VARIABLES[name]!, `${label} ${name}: ${key} is a variable of its image`);
      }
    }
    assert.equal(loadAs('worker', environmentOf(prod.services.worker)).NODE_ENV, 'production');
  });

  test('ports: nginx reaches the edges and the api where they listen; edges trust nginx alone', () => {
    const upstreams = read('nginx/upstreams/compose.conf');
    const edgePort = Number(base.services.edge.environment.PORT ?? configSchema.shape.PORT.parse(undefined));
    const apiPort = Number(base.services.api.environment.API_PORT);
    assert.equal(upstreams.match(new RegExp(`server edge:${edgePort}\\b`, 'g'))?.length, 2, 'both edge upstreams (HTTP and WebSocket)');
    assert.match(upstreams, new RegExp(`server api:${apiPort}\\b`));
    assert.deepEqual(base.services.edge.expose, [String(edgePort)]);
    assert.deepEqual(base.services.api.expose, [String(apiPort)]);
    assert.match(base.services.edge.healthcheck.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${edgePort}/health`));
    assert.match(base.services.api.healthcheck.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${apiPort}/health`));
    assert.match(read('nginx/nginx.conf'), /listen 80 default_server;/);
    assert.ok(base.services.nginx.ports.every((p: string) => p.endsWith(':80')));
    const nginxAddress = base.services.nginx.networks.authgate.ipv4_address;
    const subnet = base.networks.authgate.ipam.config[0].subnet as string;
    assert.ok(nginxAddress.startsWith(subnet.replace(/0\/24$/, '')), 'nginx address inside the network');
    assert.equal(base.services.edge.environment.TRUSTED_PROXIES, nginxAddress);
    assert.equal(base.services.api.environment.TRUSTED_PROXIES, nginxAddress);
    for (const volume of base.services.nginx.volumes as string[]) {
      const source = volume.split(':')[0]!;
      assert.ok(existsSync(path.join(ROOT, source)), `nginx mounts ${source}, which exists`);
    }
  });

  test('docker-compose.prod.yml: replicas, limits, restart policies, Redis AOF, secrets as files, no default secrets', () => {
    const REQUIRED = /^\$\{[A-Z0-9_]+:\?[^}]+\}$/;
    const text = read('docker-compose.prod.yml');
    const interpolations = [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
    assert.ok(interpolations.length > 0);
    for (const inner of interpolations) assert.match(inner, /^[A-Z0-9_]+:\?.+/, `\${${inner}} is required (:?), never defaulted`);
    for (const [name, service] of Object.entries<any>(prod.services)) {
      assert.equal(service.restart, 'unless-stopped', `${name} restarts`);
      assert.ok(service.deploy?.resources?.limits?.cpus && service.deploy.resources.limits.memory, `${name} has cpu and memory limits`);
      for (const [key, raw] of Object.entries(service.environment ?? {})) {
        const value = String(raw);
        const password = /:\/\/[^/@:]*:([^/@]*)@/.exec(value)?.[1];
        if (password !== undefined) assert.match(password, REQUIRED, `prod ${name}.${key}: the password in the URL is a required variable`);
        if (/PASS|SECRET|PRIVATE_KEY|JWKS|AUTH/.test(key)) {
          assert.ok(REQUIRED.test(value) || value.startsWith('/run/secrets/'), `prod ${name}.${key} comes from a required variable or a secret file`);
        }
      }
    }
    assert.ok(prod.services.edge.deploy.replicas >= 2 && prod.services.worker.deploy.replicas >= 2);
    const redis = prod.services.redis;
    assert.deepEqual(redis.command.slice(redis.command.indexOf('--appendonly'), redis.command.indexOf('--appendonly') + 2), ['--appendonly', 'yes']);
    assert.ok(
      redis.volumes.some((v: string) => v.endsWith(':/data')),
      'AOF kept on a volume',
    );
    // Secrets: the signing key reaches the workers only; edges and api get the public JWKS; the OpenID
    // provider's own keys reach the api only.
    assert.deepEqual(prod.services.worker.secrets, ['jwt_private_key', 'mfa_encryption_key']);
    assert.deepEqual(prod.services.edge.secrets, ['jwt_public_jwks', 'result_sealing_secret']);
    assert.deepEqual(prod.services.api.secrets, ['jwt_public_jwks', 'oidc_signing_key', 'oidc_cookie_keys']);
    for (const name of APP_SERVICES) assert.deepEqual(prod.services[name].volumes, [], `no development key volume on ${name} in production`);
    for (const secret of Object.values<any>(prod.secrets)) assert.match(secret.file, /^\$\{[A-Z0-9_]+:\?.+\}$/);
    assert.deepEqual(prod.services.postgres.ports, []);
    assert.deepEqual(prod.services.redis.ports, []);
    assert.deepEqual(prod.services.rabbitmq.ports, ['127.0.0.1:15672:15672']);
    // Without the key files production refuses to start (the loader's own check).
    assert.throws(
      () => loadConfig({ ...environmentOf(prod.services.edge), JWT_PUBLIC_JWKS_FILE: '' }, 'edge', (file) => `stand-in for ${file}`),
      /JWT_PUBLIC_JWKS/,
    );
    assert.throws(
      () => loadConfig({ ...environmentOf(prod.services.edge), RESULT_SEALING_SECRET_FILE: '' }, 'edge', (file) => `stand-in for ${file}`),
      /RESULT_SEALING_SECRET/,
    );
    assert.throws(
      () => loadConfig({ ...environmentOf(prod.services.worker), MFA_ENCRYPTION_KEY_FILE: '' }, 'worker', (file) => `stand-in for ${file}`),
      /MFA_ENCRYPTION_KEY/,
    );
    assert.throws(
      () => loadConfig({ ...environmentOf(prod.services.api), OIDC_SIGNING_KEY_FILE: '' }, 'api', (file) => `stand-in for ${file}`),
      /OIDC_SIGNING_KEY/,
    );
  });

  test('Dockerfile: Node 20 on glibc, every workspace installed, runs bin/authgate.ts; .dockerignore keeps secrets and state out', () => {
    const dockerfile = read('Dockerfile');
    for (const from of dockerfile.matchAll(/^FROM (\S+)/gm)) assert.match(from[1]!, /^node:20-bookworm/);
    const workspaces = (JSON.parse(read('package.json')).workspaces as string[])
      .flatMap((pattern) =>
        pattern.endsWith('/*') ? readdirSync(path.join(ROOT, pattern.slice(0, -2))).map((d) => `${pattern.slice(0, -2)}/${d}`) : [pattern],
      )
      .filter((dir) => existsSync(path.join(ROOT, dir, 'package.json')));
    assert.ok(workspaces.length >= 4);
    for (const dir of workspaces) assert.match(dockerfile, new RegExp(`^COPY ${dir}/package.json ${dir}/$`, 'm'), `the image installs workspace ${dir}`);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^CMD \["node", "--require", "\.\/bin\/threadpool\.cjs", "--import", "tsx", "bin\/authgate\.ts", "--target=all"\]$/m);
    assert.match(dockerfile, /^USER node$/m);
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['.git', 'node_modules', '.data', '.cluster', '.env']) assert.ok(ignored.includes(entry), `.dockerignore has ${entry}`);
    const nginxDockerfile = read('nginx/Dockerfile');
    for (const copied of nginxDockerfile.matchAll(/^COPY (\S+)/gm)) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ${UPSTREAMS} placeholder, not a template
      assert.ok(existsSync(path.join(ROOT, copied[1]!.replace('${UPSTREAMS}', 'compose'))), `nginx/Dockerfile copies ${copied[1]}, which exists`);
    }
  });

  test('Railway: one config per service, each started the way bin/authgate.ts expects, and an npm run deploy:<service>', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    const services = readdirSync(path.join(ROOT, 'services')).filter((d) => existsSync(path.join(ROOT, 'services', d, 'src/index.ts')));
    assert.ok(services.length >= 3);
    const configs: [string, string][] = [...services.map((s) => [s, `services/${s}/railway.json`] as [string, string]), ['nginx', 'nginx/railway.json']];
    for (const [name, file] of configs) {
      assert.ok(existsSync(path.join(ROOT, file)), `${file} exists`);
      const config = JSON.parse(read(file));
      assert.equal(config.build.builder, 'DOCKERFILE');
      assert.ok(existsSync(path.join(ROOT, config.build.dockerfilePath)), `${file}: ${config.build.dockerfilePath} exists`);
      assert.equal(config.deploy.restartPolicyType, 'ON_FAILURE');
      assert.ok(config.deploy.drainingSeconds >= 15, 'time to drain between SIGTERM and SIGKILL');
      assert.match(scripts[`deploy:${name}`] ?? '', new RegExp(`^railway up --service ${name}\\b`), `npm run deploy:${name}`);
      if (name === 'nginx') {
        assert.equal(config.deploy.healthcheckPath, '/health');
        continue;
      }
      assert.equal(config.deploy.startCommand, `node --require ./bin/threadpool.cjs --import tsx bin/authgate.ts --target=${name}`);
      assert.ok((TARGETS as readonly string[]).includes(name));
      if (name === 'worker' || name === 'mailer' || name === 'audit')
        assert.equal(config.deploy.healthcheckPath, undefined, `a ${name} has no HTTP port to check`);
      else assert.ok(['/health', '/ready'].includes(config.deploy.healthcheckPath), `${name} health check path`);
    }
    assert.ok(existsSync(path.join(ROOT, 'nginx/upstreams/railway.conf')));
  });

  test("nginx: the production config passes nginx -t, and its limits fit the edges' settings", () => {
    const server = read('nginx/authgate/server.conf');
    const wsBlock = /location = \/ws \{([^}]*)\}/.exec(server)?.[1] ?? '';
    const wsReadTimeout = Number(/proxy_read_timeout (\d+)s;/.exec(wsBlock)?.[1]);
    assert.ok(wsReadTimeout > configSchema.shape.WS_IDLE_TIMEOUT_S.parse(undefined), "nginx waits longer than the edge's idle timeout on /ws");
    const bodyLimit = /client_max_body_size (\d+)k;/.exec(read('nginx/authgate/http.conf'))?.[1];
    assert.equal(Number(bodyLimit) * 1024, configSchema.shape.MAX_BODY_BYTES.parse(undefined), "nginx refuses bodies at the edges' default limit");
    for (const file of ['nginx/upstreams/compose.conf', 'nginx/upstreams/railway.conf', 'nginx/cluster.conf.template']) {
      for (const m of read(file).matchAll(/keepalive_timeout (\d+)s;/g))
        assert.ok(Number(m[1]) < 10, `${file}: pooled connections close before uWebSockets.js's 10 s idle close`);
    }
    // A POST that reached an edge is never replayed on another (no `non_idempotent`), anywhere.
    for (const file of ['nginx/authgate/server.conf', 'nginx/authgate/http.conf', 'nginx/nginx.conf', 'nginx/cluster.conf.template']) {
      const directives = read(file).replace(/#.*$/gm, '');
      for (const m of directives.matchAll(/proxy_next_upstream\s+([^;]*);/g)) assert.equal(m[1], 'error timeout', file);
    }
    assert.match(server.replace(/#.*$/gm, ''), /proxy_next_upstream error timeout;/);

    for (const upstreams of ['compose', 'railway']) {
      const dir = tempDir(`nginx-t-${upstreams}`);
      try {
        cpSync(path.join(ROOT, 'nginx'), dir.dir, { recursive: true });
        // The upstreams' names resolve only on their own networks: 127.0.0.1 stands in for them.
        const local = read(`nginx/upstreams/${upstreams}.conf`).replace(/server [a-z.]+:(\d+)/g, 'server 127.0.0.1:$1');
        writeFileSync(path.join(dir.dir, 'upstreams.conf'), local);
        // stdout is /dev/null here: the access log (/dev/stdout, as in the nginx image) must open.
        const checked = spawnSync(nginxBinary(), ['-t', '-p', `${dir.dir}/`, '-c', path.join(dir.dir, 'nginx.conf'), '-e', 'stderr'], {
          encoding: 'utf8',
          timeout: 20_000,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        assert.equal(checked.status, 0, `nginx -t (${upstreams}):\n${checked.stderr}`);
        assert.match(checked.stderr, /syntax is ok/);
      } finally {
        dir.remove();
      }
    }
  });
});
