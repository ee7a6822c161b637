/** A binary min-heap of timed events; ties keep insertion order, so a run is deterministic. */
export interface Timed {
  t: number;
  seq: number;
}

/** Omit that distributes over a union of event kinds. */
export type Unsequenced<E> = E extends unknown ? Omit<E, 'seq'> : never;

export class EventHeap<E extends Timed> {
  private readonly items: E[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  peek(): E | undefined {
    return this.items[0];
  }

  push(e: Unsequenced<E>): void {
    const item = { ...e, seq: this.seq++ } as E;
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): E | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }

  private before(x: E, y: E): boolean {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
}
