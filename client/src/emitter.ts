/** A typed event emitter: `on` returns the function that removes the listener. */
export class Emitter<Events> {
  private readonly listeners = new Map<keyof Events, Set<(data: never) => void>>();

  on<K extends keyof Events>(name: K, listener: (data: Events[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as (data: never) => void);
    return () => this.off(name, listener);
  }

  off<K extends keyof Events>(name: K, listener: (data: Events[K]) => void): void {
    this.listeners.get(name)?.delete(listener as (data: never) => void);
  }

  protected emit<K extends keyof Events>(name: K, data: Events[K]): void {
    for (const listener of [...(this.listeners.get(name) ?? [])]) {
      try {
        (listener as (data: Events[K]) => void)(data);
      } catch (err) {
        // A listener's failure is its own: report it without stopping the others or the client.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }
}
