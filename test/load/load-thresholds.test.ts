import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/services.ts';
import { readReport, runLoadCli, writeSmallConfig } from './support.ts';

describe('npm run test:load: thresholds and options', () => {
  const data = tempDir('loadthr');
  after(() => data.remove());

  test('started on its own (a local cluster), a broken threshold exits 1 and both reports say which', async () => {
    const configFile = path.join(data.dir, 'broken.json');
    // A p99 of 0 ms cannot be met by any answered request: the threshold is broken whatever the speed.
    writeSmallConfig(configFile, (c) => {
      c.scenarios['verify-storm'] = { ...c.scenarios['verify-storm'], durationS: 1, tokens: 2, connections: 2, thresholds: { minSuccessRate: 0, maxP99Ms: 0 } };
    });
    const reportDir = path.join(data.dir, 'reports');
    const run = await runLoadCli(['--only', 'verify-storm', '--config', configFile, '--report-dir', reportDir]);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /FAILED/);
    assert.match(run.stdout, /Thresholds broken:\n {2}verify-storm: maxP99Ms <= 0 ms, measured [\d.]+/);
    assert.match(run.stderr, /starting the local cluster: nginx, 1 edge\(s\), 1 worker\(s\) \(bcrypt cost 4\)/);

    const { report, htmlFile } = readReport(run.stdout);
    assert.equal(report.passed, false);
    assert.equal(report.exitCode, 1);
    assert.equal(report.target.kind, 'started');
    assert.equal(report.target.shape, 'cluster');
    assert.equal(report.target.bcryptCost, 4);
    const settings = report.target.settings as Record<string, string>;
    assert.equal(settings.RATE_LIMIT_IP_PER_MINUTE, '10000000', 'request budgets raised for the load run');
    const [verify] = report.scenarios;
    assert.equal(verify!.name, 'verify-storm');
    assert.equal(verify!.passed, false);
    assert.deepEqual(
      verify!.thresholds.map((t) => [t.name, t.passed]),
      [
        ['minSuccessRate', true],
        ['maxP99Ms', false],
      ],
    );
    assert.ok(verify!.ok! > 0);
    assert.match(readFileSync(htmlFile, 'utf8'), /<td>maxP99Ms<\/td><td>&lt;= 0 ms<\/td><td>[\d.,]+<\/td><td><span class="fail">FAIL<\/span>/);

    // The cluster it started is gone: its nginx no longer answers.
    const nginx = report.target.nginx as string;
    await assert.rejects(fetch(`${nginx}/health`, { signal: AbortSignal.timeout(5_000) }));
  });

  test('failures are counted by the error code the deployment answered: a tight rate limit shows as rate_limited', async () => {
    // Generous: the embedded database takes a while to open on a busy machine.
    const deployment = await startProcess('all', { DATA_DIR: path.join(data.dir, 'all'), BCRYPT_COST: '4', RATE_LIMIT_IP_PER_MINUTE: '10' }, 120_000);
    try {
      const configFile = path.join(data.dir, 'limited.json');
      writeSmallConfig(configFile, (c) => {
        c.scenarios['rest-auth'].thresholds = { minSuccessRate: 1 };
        c.scenarios['ws-auth'].thresholds = { minSuccessRate: 1 };
      });
      const run = await runLoadCli([
        '--url',
        deployment.url,
        '--only',
        'rest-auth,ws-auth',
        '--config',
        configFile,
        '--report-dir',
        path.join(data.dir, 'limited'),
      ]);
      assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /rate_limited x\d+/);
      const { report } = readReport(run.stdout);
      let answeredOk = 0;
      for (const s of report.scenarios) {
        assert.ok(s.failed! > 0, s.name);
        const all = Object.values(s.operations!);
        assert.equal(
          all.reduce((n, o) => n + o.ok, 0),
          s.ok,
          `${s.name}: operations add up to ok`,
        );
        assert.equal(
          all.reduce((n, o) => n + o.total, 0),
          s.total,
          `${s.name}: operations add up to the total`,
        );
        assert.equal(
          s.timeline!.reduce((n, p) => n + p.ok + p.failed, 0),
          s.total,
          `${s.name}: the timeline adds up to the total`,
        );
        assert.ok(s.successRate! < 1 && s.successRate === Math.round((s.ok! / s.total!) * 1e6) / 1e6);
        // Every failure is the limiter's, read from the answers' error.code.
        assert.deepEqual(Object.keys(s.errorsByCode!), ['rate_limited'], s.name);
        assert.equal(s.errorsByCode!.rate_limited, s.failed);
        const ops = Object.entries(s.operations!).filter(([name]) => !name.endsWith('connect'));
        assert.equal(
          ops.reduce((n, [, o]) => n + o.failed, 0),
          s.failed,
        );
        answeredOk += ops.reduce((n, [, o]) => n + o.ok, 0);
        assert.equal(s.passed, false);
        assert.equal(s.thresholds[0]!.passed, false);
      }
      assert.ok(answeredOk <= 10, `at most the 10 requests the limiter allows a minute succeeded (${answeredOk})`);
    } finally {
      await deployment.stop();
    }
  });

  test('bad options and a bad config exit 2 before anything starts', async () => {
    const badConfig = path.join(data.dir, 'bad.json');
    writeSmallConfig(badConfig, (c) => {
      (c.scenarios['rest-auth'] as { users: unknown }).users = -5;
    });
    const cases: [string[], RegExp][] = [
      [['--scale', 'lots'], /--scale must be a number above 0/],
      [['--only', 'rest-auth,nope'], /--only must be one of rest-auth, ws-auth, verify-storm, refresh-storm, mixed/],
      [['--url', 'http://192.0.2.1:8080'], /loopback addresses only/],
      [['--url', 'http://127.0.0.1:8080/auth'], /base URL without a path/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--config', badConfig], /scenarios\.rest-auth\.users/],
    ];
    for (const [args, message] of cases) {
      const run = await runLoadCli([...args, '--report-dir', path.join(data.dir, 'never')], 60_000);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    assert.equal(existsSync(path.join(data.dir, 'never')), false, 'no report for a run that never started');
  });

  test('--help lists the options and exits 0', async () => {
    const run = await runLoadCli(['--help'], 60_000);
    assert.equal(run.code, 0);
    for (const option of ['--url', '--only', '--scale', '--users', '--duration', '--config', '--report-dir', '--via'])
      assert.ok(run.stdout.includes(option), option);
  });
});
