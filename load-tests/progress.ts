import type { ScenarioRecorder } from './metrics/recorder.ts';

/**
 * The live display, on stderr: one line rewritten in place on a terminal, or a plain line every
 * few seconds when stderr is a file or a pipe (CI logs).
 */
export class Progress {
  private current: { label: string; status: () => string } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly intervalS: number,
  ) {}

  private get live(): boolean {
    return this.stream.isTTY === true;
  }

  /** Shows `status()` for `label` until the returned function is called. */
  track(label: string, status: () => string): () => void {
    this.current = { label, status };
    const draw = () => {
      if (!this.current) return;
      const text = `${label}  ${status()}`;
      if (this.live) this.stream.write(`\r\x1b[2K${text.slice(0, Math.max(20, (this.stream.columns ?? 120) - 1))}`);
      else this.stream.write(`${text}\n`);
    };
    this.timer = setInterval(draw, this.live ? 250 : this.intervalS * 1000);
    return () => {
      clearInterval(this.timer);
      this.timer = undefined;
      if (this.live) this.stream.write('\r\x1b[2K');
      this.stream.write(`${label}  ${status()}  done\n`);
      this.current = undefined;
    };
  }

  /** A line of its own, without tearing the live line. */
  log(line: string): void {
    if (this.live && this.current) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
  }
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function recorderStatus(recorder: ScenarioRecorder, plannedS?: number): string {
  const { elapsedS, rps, p99Ms } = recorder.recent();
  const done = recorder.total;
  const okShare = done === 0 ? '-' : `${((recorder.ok / done) * 100).toFixed(1)}% ok`;
  const time = plannedS ? `${elapsedS.toFixed(0)}/${plannedS} s` : `${elapsedS.toFixed(0)} s`;
  return `${time}  ${int.format(done)} done  ${okShare}  ${int.format(rps)} req/s  p99 ${p99Ms.toFixed(1)} ms  ${int.format(recorder.failed)} failed`;
}
