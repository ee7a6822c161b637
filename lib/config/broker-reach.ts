import { isIP } from 'node:net';

/**
 * Why a Lambda outside any VPC could not reach this broker, or null when it could (localhost, a
 * public host or address). ElastiCache and MemoryDB endpoints, private and link-local addresses,
 * and names only a private resolver answers (`.internal`, `.local`, one label) live in a VPC.
 */
export function privateBrokerHost(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null; // the URL rule reports a URL that does not parse
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return null;
  const ip = isIP(host);
  if (ip === 4) {
    const [a, b] = host.split('.').map(Number);
    if (a === 127) return null;
    const range = a === 10 ? '10.0.0.0/8' : a === 172 && b >= 16 && b <= 31 ? '172.16.0.0/12' : a === 192 && b === 168 ? '192.168.0.0/16'
      : a === 100 && b >= 64 && b <= 127 ? '100.64.0.0/10' : a === 169 && b === 254 ? '169.254.0.0/16' : null;
    return range ? `the broker's address ${host} is private (${range})` : null;
  }
  if (ip === 6) {
    if (host === '::1') return null;
    return /^f[cd]/.test(host) ? `the broker's address ${host} is private (fc00::/7)` : /^fe[89ab]/.test(host) ? `the broker's address ${host} is link-local (fe80::/10)` : null;
  }
  if (/\.cache\.amazonaws\.com(\.cn)?$/.test(host)) return `the broker ${host} is an ElastiCache endpoint, reachable only from its VPC`;
  if (/\.memorydb\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(host)) return `the broker ${host} is a MemoryDB endpoint, reachable only from its VPC`;
  if (/\.(internal|local|localdomain|lan|intranet|corp|private|home\.arpa|svc|cluster\.local)$/.test(host)) return `the broker ${host} is a private name (resolved only inside its network)`;
  if (!host.includes('.')) return `the broker ${host} is a single-label name (resolved only inside its network)`;
  return null;
}
