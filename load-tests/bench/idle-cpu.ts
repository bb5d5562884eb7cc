import { cpuMicros } from './process-cpu.ts';
import { round, startPipeline } from './deployment.ts';

/**
 * (l) What an idle edge and worker cost the machine, with metrics on (the default) ÷ off
 * (METRICS_PORT=off): CPU milliseconds per second of each process over `seconds`, after a settling
 * second, in pipelines started alternately `rounds` times. On a shared box this is CPU the bcrypt
 * threads do not get (bench (j)); the event-loop delay histogram's timer was most of it.
 */
export async function benchIdleCpu(seconds: number, rounds = 2): Promise<Record<string, unknown>> {
  const runs: { metrics: string; edgeMsPerS: number; workerMsPerS: number }[] = [];
  for (let round_ = 0; round_ < rounds; round_++) {
    for (const metrics of ['0', 'off']) runs.push({ metrics: metrics === 'off' ? 'off' : 'on', ...(await idleWindow(metrics, seconds)) });
  }
  const median = (metrics: string, field: 'edgeMsPerS' | 'workerMsPerS') => {
    const values = runs
      .filter((r) => r.metrics === metrics)
      .map((r) => r[field])
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  const on = median('on', 'edgeMsPerS') + median('on', 'workerMsPerS');
  const off = median('off', 'edgeMsPerS') + median('off', 'workerMsPerS');
  return {
    bench: 'l: idle edge + worker CPU, metrics on ÷ off',
    runs,
    onMsPerS: round(on, 1),
    offMsPerS: round(off, 1),
    ratio: round(on / off, 2),
  };
}

async function idleWindow(metricsPort: string, seconds: number): Promise<{ edgeMsPerS: number; workerMsPerS: number }> {
  const pipeline = await startPipeline({ edges: 1, bcryptCost: 4, env: { METRICS_PORT: metricsPort } });
  try {
    const edge = pipeline.edges[0]!.child.pid!;
    const worker = pipeline.worker.child.pid!;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = [cpuMicros(edge), cpuMicros(worker)];
    await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
    const msPerS = (pid: number, i: number) => round((cpuMicros(pid) - before[i]!) / 1_000 / seconds, 1);
    return { edgeMsPerS: msPerS(edge, 0), workerMsPerS: msPerS(worker, 1) };
  } finally {
    await pipeline.stop();
  }
}
