/**
 * Set once the edge stops accepting (SIGTERM). Every HTTP answer from then on closes its connection
 * (`Connection: close`), so a proxy drops the keep-alive connections it pools to this node one by one
 * instead of sending more requests on them until the process exits under them. Process-wide: one
 * process runs at most one edge.
 */
let draining = false;

export function setDraining(on: boolean): void {
  draining = on;
}

export function isDraining(): boolean {
  return draining;
}
