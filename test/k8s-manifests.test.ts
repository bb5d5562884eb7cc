import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { configSchema, loadConfig, type Target } from '@authgate/shared/config';

/**
 * deploy/k8s against the Kubernetes API's own schemas (kubernetes-models: JSON schemas generated from
 * the Kubernetes OpenAPI document, checked offline), then what the schemas cannot know: every role has
 * its Deployment, Service and PodDisruptionBudget, the probes, the autoscalers' targets, and settings
 * that authgate itself accepts in production.
 */
const DIR = path.resolve(import.meta.dirname, '../deploy/k8s');

// Manifests are read as plain YAML objects.
type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: any };

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest as never).validate();
}

const manifests: Manifest[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest;
    }),
  );
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const named = (kind: string, name: string) => {
  const found = ofKind(kind).find((m) => m.metadata.name === name);
  assert.ok(found, `${kind} ${name} is missing`);
  return found;
};
const ROLES = ['edge', 'worker', 'api', 'mailer'] as const;

describe('Kubernetes manifests (deploy/k8s)', () => {
  test('every object is valid against the Kubernetes schema of its kind', () => {
    assert.ok(manifests.length >= 12, `only ${manifests.length} objects`);
    for (const manifest of manifests) assert.doesNotThrow(() => validate(manifest), `${manifest.kind} ${manifest.metadata?.name}`);
  });

  test('the schemas do catch a broken manifest', () => {
    const edge = structuredClone(named('Deployment', 'authgate-edge'));
    edge.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    assert.throws(() => validate(edge), /containerPort/);
    const hpa = structuredClone(named('HorizontalPodAutoscaler', 'authgate-worker'));
    delete hpa.spec.scaleTargetRef;
    assert.throws(() => validate(hpa), /scaleTargetRef/);
  });

  test('each role has a Deployment, a Service and a PodDisruptionBudget selecting its pods', () => {
    for (const role of ROLES) {
      const deployment = named('Deployment', `authgate-${role}`);
      const labels = deployment.spec.template.metadata.labels as Record<string, string>;
      for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(labels[k], v, `${role}: selector ${k}`);
      const service = named('Service', `authgate-${role}`);
      for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(labels[k], v, `${role}: service selector ${k}`);
      const pdb = named('PodDisruptionBudget', `authgate-${role}`);
      for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) assert.equal(labels[k], v, `${role}: PDB selector ${k}`);
      const container = deployment.spec.template.spec.containers[0];
      assert.ok(container.args.includes(`--target=${role}`), `${role}: runs --target=${role}`);
      // Every named port a probe or Service uses is declared by the container.
      const ports = new Set((container.ports as { name: string }[]).map((p) => p.name));
      for (const p of service.spec.ports as { targetPort: string }[]) assert.ok(ports.has(p.targetPort), `${role}: service port ${p.targetPort}`);
      for (const probe of [container.readinessProbe, container.livenessProbe].filter(Boolean)) {
        const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
        assert.ok(ports.has(port), `${role}: probe port ${port}`);
      }
      assert.ok(container.livenessProbe, `${role}: a liveness probe`);
    }
  });

  test('edges and the api: readiness on /ready, liveness on /health', () => {
    for (const role of ['edge', 'api']) {
      const container = named('Deployment', `authgate-${role}`).spec.template.spec.containers[0];
      assert.equal(container.readinessProbe.httpGet.path, '/ready', role);
      assert.equal(container.livenessProbe.httpGet.path, '/health', role);
    }
  });

  test('workers scale on CPU, edges on the WebSocket connections each one holds', () => {
    const worker = named('HorizontalPodAutoscaler', 'authgate-worker');
    assert.equal(worker.spec.scaleTargetRef.name, 'authgate-worker');
    assert.deepEqual(
      worker.spec.metrics.map((m: { type: string; resource?: { name: string } }) => [m.type, m.resource?.name]),
      [['Resource', 'cpu']],
    );
    const edge = named('HorizontalPodAutoscaler', 'authgate-edge');
    assert.equal(edge.spec.scaleTargetRef.name, 'authgate-edge');
    const [metric] = edge.spec.metrics;
    assert.equal(metric.type, 'Pods');
    // The metric an edge really exports (GET /metrics), not a name of the manifest's own.
    assert.match(
      readFileSync(path.resolve(import.meta.dirname, '../services/edge/src/observe/metrics.ts'), 'utf8'),
      new RegExp(`name: '${metric.pods.metric.name}'`),
    );
  });

  test("every setting the manifests give is one of authgate's, and each role's settings pass its production checks", () => {
    const known = new Set(Object.keys(configSchema.shape));
    const config = named('ConfigMap', 'authgate-config').data as Record<string, string>;
    for (const key of Object.keys(config)) assert.ok(known.has(key), `ConfigMap: ${key} is not a setting`);
    // Stand-ins for the Secret the operator creates (its keys are listed in config.yaml).
    const secrets: Record<string, string> = {
      'amqp-url': 'amqp://authgate:p@rabbitmq-0.rabbitmq:5672,amqp://authgate:p@rabbitmq-1.rabbitmq:5672',
      'redis-cluster-password': 'p',
      'database-url': 'postgres://authgate:p@postgres:5432/authgate',
      'jwt-private-key': 'PEM',
      'jwt-public-jwks': '{"keys":[]}',
      'result-sealing-secret': 's'.repeat(43),
      'mfa-encryption-key': 'm'.repeat(43),
      'oidc-signing-key': 'PEM',
      'oidc-cookie-keys': 'c'.repeat(43),
      'smtp-url': 'smtps://u:p@smtp.example.com:465',
    };
    for (const role of ROLES) {
      const container = named('Deployment', `authgate-${role}`).spec.template.spec.containers[0];
      const env: Record<string, string> = { ...config };
      for (const entry of container.env as { name: string; value?: string; valueFrom?: { secretKeyRef: { key: string } } }[]) {
        assert.ok(known.has(entry.name), `${role}: ${entry.name} is not a setting`);
        const value = entry.value ?? secrets[entry.valueFrom!.secretKeyRef.key];
        assert.ok(value !== undefined, `${role}: ${entry.name} names an unknown secret key`);
        env[entry.name] = value;
      }
      assert.doesNotThrow(() => loadConfig(env, role as Target), role);
    }
  });
});
