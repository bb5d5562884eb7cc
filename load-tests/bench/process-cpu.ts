import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc times are in 1/100 s. */
const TICK_US = 10_000;

/** User + system CPU time of a process so far, in microseconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}
