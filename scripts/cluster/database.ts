import pg from 'pg';

/**
 * Creates the database named in `url` if the server has none of that name, connecting to the
 * server's `postgres` database to do it. Safe when several callers race: "already exists" is fine.
 */
export async function ensureDatabase(url: string): Promise<{ created: boolean }> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new Error(`DATABASE_URL must name a database of 1-63 letters, digits, _ or - (got ${JSON.stringify(name)})`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return { created: false };
    try {
      // Identifiers cannot be bound as parameters; the name was checked against a strict pattern above.
      await client.query(`CREATE DATABASE "${name}"`);
      return { created: true };
    } catch (err) {
      if ((err as { code?: string }).code === '42P04') return { created: false }; // duplicate_database
      throw err;
    }
  } finally {
    await client.end();
  }
}
