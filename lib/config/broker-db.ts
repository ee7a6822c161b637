/** The `/N` of a redis:// URL, or null when it has none (or cannot be parsed: the URL rule reports that). */
export function dbOfUrl(url: string): number | null {
  // An amqp:// URL's path is a vhost, never a db.
  if (!/^rediss?:/.test(url)) return null;
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  const m = /^\/(\d+)$/.exec(path);
  return m ? Number(m[1]) : null;
}

/** One source of truth: the URL's `/N` decides the db; a config `db` that says otherwise is an error naming both. */
export function dbConflict(db: number | undefined, url: string): string | null {
  const fromUrl = dbOfUrl(url);
  if (db === undefined || fromUrl === null || db === fromUrl) return null;
  return `broker.db (${db}) contradicts the broker URL's /${fromUrl}: the URL decides the db; remove broker.db or make them agree`;
}

/** A redis(s):// or amqp(s):// URL that parses, or why not (for a flag's one-line error). */
export function brokerUrlProblem(url: string): string | null {
  if (!/^(rediss?|(py)?amqps?):\/\//.test(url)) return 'must start with redis://, rediss://, amqp://, amqps:// or pyamqp://';
  try {
    new URL(url);
  } catch {
    return /^(py)?amqp/.test(url) ? 'is not a valid URL (amqp://[user:password@]host:port/vhost)' : 'is not a valid URL (redis://[user:password@]host:port/db)';
  }
  return null;
}
