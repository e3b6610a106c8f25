/**
 * A backend's machines in memory: one runtime per machine id (its queue, its connections), made
 * on first use. Memory only caches: a machine exists when its state directory says so.
 */
import { RecordDir } from "./record-dir.js";

export class Runtimes<T> {
  private readonly map = new Map<string, T>();

  constructor(
    private readonly make: (id: string) => T,
    /** Whether the machine's state directory holds a record. */
    private readonly exists: (id: string) => boolean,
  ) {}

  /** The runtime of `id`, made when there is none yet. */
  get(id: string): T {
    let rt = this.map.get(id);
    if (!rt) {
      rt = this.make(id);
      this.map.set(id, rt);
    }
    return rt;
  }

  /** The runtime of a machine that exists or has an action in flight (a provision), without making one for any other id. */
  known(id: string): T | undefined {
    const rt = this.map.get(id);
    if (rt) return rt;
    try {
      RecordDir.check(id);
    } catch {
      return undefined;
    }
    return this.exists(id) ? this.get(id) : undefined;
  }

  /** Forgets `rt` (a destroyed machine), unless another runtime took its place meanwhile. */
  forget(id: string, rt: T): void {
    if (this.map.get(id) === rt) this.map.delete(id);
  }

  values(): IterableIterator<T> {
    return this.map.values();
  }

  clear(): void {
    this.map.clear();
  }
}
