import { after, before, describe } from 'node:test';
import type { Cluster } from '../../../scripts/cluster/index.ts';
import { launchChromium } from '../../../test/browser/support.ts';
import { startTestCluster } from '../../../test/cluster/support.ts';
import { SmtpMailbox } from '../../../test/helpers/mailbox.ts';
import { type RunningProcess, startProcess } from '../../../test/helpers/processes.ts';
import { AMQP_URL, REDIS_URL } from '../../../test/helpers/services.ts';
import { clusterScenarios, oidcScenarios } from './scenarios.ts';
import { type OidcDeployment, oidcEnv } from './support/deployment.ts';
import type { ClusterHandles } from './scenarios.ts';
import { RelyingPartyServer } from './support/rp.ts';

/**
 * The OpenID provider in the cluster shape behind nginx: two edges, a worker, two account API processes
 * (the provider's state in Redis, its clients in PostgreSQL), a mailer sending to a real SMTP server.
 */
describe('OpenID provider: cluster behind nginx, two API processes', () => {
  let cluster: Cluster | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  let rp: RelyingPartyServer | undefined;
  let mailbox: SmtpMailbox | undefined;
  let mailer: RunningProcess | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  let deployment: OidcDeployment & { cluster: ClusterHandles };

  before(async () => {
    rp = await RelyingPartyServer.start();
    const adminEmail = `oidc-admin-cluster-${Date.now().toString(36)}@example.com`;
    const [started, chromium, box] = await Promise.all([
      startTestCluster('oidc', { edges: 2, workers: 1, apis: 2, mailer: false, env: oidcEnv(rp.url, adminEmail) }),
      launchChromium(),
      SmtpMailbox.start(),
    ]);
    ({ cluster, cleanup } = started);
    closeBrowser = chromium.close;
    mailbox = box;
    mailer = await startProcess('mailer', { AMQP_URL, NAMESPACE: cluster.namespace, SMTP_URL: box.url, PUBLIC_URL: cluster.url });
    deployment = {
      label: 'cluster',
      url: cluster.url,
      browser: chromium.browser,
      rp,
      mailbox: box,
      adminEmail,
      apis: cluster.apis.map((api) => api.url!),
      cluster: {
        namespace: cluster.namespace,
        redisUrl: REDIS_URL,
        stopApis: async () => {
          await Promise.all(cluster!.apis.map((api) => api.process.stop('SIGTERM', 30_000)));
        },
        // Both again, with their ports: nginx finds them where they were.
        startApis: async () => {
          for (const name of ['api', 'api-2']) await cluster!.restart(name);
        },
      },
    };
  });

  after(async () => {
    await mailer?.stop();
    await mailbox?.close();
    await closeBrowser?.();
    await cleanup?.();
    await rp?.close();
  });

  oidcScenarios(() => deployment);
  clusterScenarios(() => deployment);
});
