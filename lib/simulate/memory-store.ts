import type { HistoryPort, LeasePort } from '../cycle/ports';
import type { Observation } from '../observation';
import type { DrainRecord, Leftovers, ScaleTimes, Wanted } from '../state/store';

/**
 * lib/state/store.ts's semantics in memory, on a given clock: the simulator's lease and history
 * ports (and the crash-point tests'). Keys expire as Redis's PX does.
 */
export class MemoryStore implements LeasePort, HistoryPort {
  private readonly keys = new Map<string, { value: unknown; expires: number }>();

  constructor(private readonly now: () => number) {}

  private get<T>(key: string): T | null {
    const e = this.keys.get(key);
    if (!e) return null;
    if (e.expires <= this.now()) {
      this.keys.delete(key);
      return null;
    }
    return e.value as T;
  }

  private set(key: string, value: unknown, ttlMs = Infinity): void {
    this.keys.set(key, { value, expires: this.now() + ttlMs });
  }

  acquireLock(service: string, token: string, ttlMs: number): { acquired: boolean; holder: string | null } {
    const holder = this.get<string>(`lock:${service}`);
    if (holder !== null && holder !== token) return { acquired: false, holder };
    this.set(`lock:${service}`, token, ttlMs);
    return { acquired: true, holder: token };
  }

  extendLock(service: string, token: string, ttlMs: number): boolean {
    if (this.get<string>(`lock:${service}`) !== token) return false;
    this.set(`lock:${service}`, token, ttlMs);
    return true;
  }

  releaseLock(service: string, token: string): boolean {
    if (this.get<string>(`lock:${service}`) !== token) return false;
    this.keys.delete(`lock:${service}`);
    return true;
  }

  lockHolder(service: string): string | null {
    return this.get<string>(`lock:${service}`);
  }

  saveObservation(execution: string, observation: Observation, ttlMs: number): void {
    // Only the latest few are ever read (an execution's own ComputePlan): drop the expired ones.
    for (const [k, e] of this.keys) if (k.startsWith('observation:') && e.expires <= this.now()) this.keys.delete(k);
    this.set(`observation:${execution}`, observation, ttlMs);
  }

  observation(execution: string): Observation | null {
    return this.get<Observation>(`observation:${execution}`);
  }

  loadHistories<H>(services: string[]): Record<string, H | undefined> {
    return Object.fromEntries(services.map((s) => [s, this.get<H>(`history:${s}`) ?? undefined]));
  }

  saveHistories<H>(histories: Record<string, H>): void {
    for (const [s, h] of Object.entries(histories)) this.set(`history:${s}`, h);
  }

  scaleTimes(services: string[]): Record<string, ScaleTimes> {
    return Object.fromEntries(services.map((s) => [s, { ...(this.get<ScaleTimes>(`scaled:${s}`) ?? {}) }]));
  }

  recordScale(service: string, direction: 'up' | 'down', at: number): void {
    const times = this.get<ScaleTimes>(`scaled:${service}`) ?? {};
    this.set(`scaled:${service}`, { ...times, [direction === 'up' ? 'lastScaleUpAt' : 'lastScaleDownAt']: at });
  }

  saveDrain(service: string, record: DrainRecord): void {
    this.set(`draining:${service}`, record);
  }

  clearDrain(service: string): void {
    this.keys.delete(`draining:${service}`);
  }

  drainRecords(services: string[]): Record<string, DrainRecord | null> {
    return Object.fromEntries(services.map((s) => [s, this.get<DrainRecord>(`draining:${s}`)]));
  }

  leftovers(services: string[]): Leftovers[] {
    return services.flatMap((service) => {
      const drain = this.get<DrainRecord>(`draining:${service}`);
      const protectedTasks = this.protectedTasks(service).length;
      return this.lockHolder(service) !== null || (drain === null && protectedTasks === 0) ? [] : [{ service, drain, protectedTasks }];
    });
  }

  saveProtected(service: string, taskArns: string[], ttlMs: number): void {
    if (taskArns.length === 0) this.keys.delete(`protected:${service}`);
    else this.set(`protected:${service}`, [...taskArns], ttlMs);
  }

  protectedTasks(service: string): string[] {
    return this.get<string[]>(`protected:${service}`) ?? [];
  }

  clearProtected(service: string): void {
    this.keys.delete(`protected:${service}`);
  }

  want(service: string, wanted: Wanted, ttlMs: number): void {
    this.set(`wanted:${service}`, wanted, ttlMs);
  }

  wanted(service: string): Wanted | null {
    return this.get<Wanted>(`wanted:${service}`);
  }

  /** What a Redis restarted without its data would have lost: everything. */
  flush(): void {
    this.keys.clear();
  }
}
