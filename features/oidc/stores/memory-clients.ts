import type { ClientMetadata, ClientStore } from './clients.ts';

/** The in-process client store: for the store's contract suite and unit tests (the all-in-one uses PGlite). */
export class MemoryClientStore implements ClientStore {
  private readonly clients = new Map<string, ClientMetadata>();

  async find(clientId: string): Promise<ClientMetadata | undefined> {
    const found = this.clients.get(clientId);
    return found ? structuredClone(found) : undefined;
  }

  async list(): Promise<ClientMetadata[]> {
    return [...this.clients.values()].map((client) => structuredClone(client));
  }

  async insert(metadata: ClientMetadata): Promise<boolean> {
    if (this.clients.has(metadata.client_id)) return false;
    this.clients.set(metadata.client_id, structuredClone(metadata));
    return true;
  }

  async delete(clientId: string): Promise<boolean> {
    return this.clients.delete(clientId);
  }
}
