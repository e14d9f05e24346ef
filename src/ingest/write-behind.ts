// A group commit's view of its transaction. Most pings of a batch only read their check, store
// the ping and move the check's state on; done one statement at a time that is four statements
// per ping, most of a ping's cost. Here a batch reads each check once, keeps its updates in
// memory, and writes them when the batch ends: one UPDATE per check, and all its pings through
// one prepared INSERT (Tx.insertPings; bench/ingest.ts, docs/benchmarks.md).
import { type Check, ConflictError, type Ping, type Project, type Tx } from '../store/store.ts';

type Deferred =
  | 'getCheck'
  | 'getCheckBySlug'
  | 'getProjectByPingKey'
  | 'insertCheck'
  | 'insertPing'
  | 'updateCheckState';

/**
 * Wraps a batch's transaction. Checks (by id or slug) and projects (by ping key) are read once
 * and then answered from memory, with the batch's own updates applied; pings and check state
 * updates wait. Any other statement first writes what waits and forgets what was read, so a
 * flip, its alerts and anything else see the database exactly as if every write had gone out
 * at once. Call flush() before the transaction commits.
 */
export class WriteBehind {
  readonly tx: Tx;
  private readonly checks = new Map<string, Check>();
  /** `<project id> <slug>` → check id */
  private readonly slugs = new Map<string, string>();
  private readonly projects = new Map<string, Project | null>();
  /** per check: its newest state, and the rev the database still has */
  private readonly updates = new Map<string, { check: Check; expectedRev: number }>();
  private pings: Omit<Ping, 'id'>[] = [];
  private retention = 0;

  constructor(private readonly inner: Tx) {
    const own: Pick<Tx, Deferred> = {
      getCheck: (id) => this.getCheck(id),
      getCheckBySlug: (projectId, slug) => this.getCheckBySlug(projectId, slug),
      getProjectByPingKey: (key) => this.getProjectByPingKey(key),
      insertCheck: (c) => this.insertCheck(c),
      insertPing: async (p, retention) => {
        this.pings.push(p);
        this.retention = retention;
      },
      updateCheckState: (c, rev) => this.updateCheckState(c, rev),
    };
    const passThrough = new Map<PropertyKey, unknown>();
    this.tx = new Proxy(inner, {
      get: (target, prop) => {
        if (Object.hasOwn(own, prop)) return own[prop as Deferred];
        let fn = passThrough.get(prop);
        if (fn === undefined) {
          const method = Reflect.get(target, prop) as (...args: unknown[]) => Promise<unknown>;
          fn = async (...args: unknown[]) => {
            await this.flush();
            this.forget();
            return method.apply(target, args);
          };
          passThrough.set(prop, fn);
        }
        return fn;
      },
    });
  }

  /** Writes the pings and check states that wait. */
  async flush(): Promise<void> {
    if (this.pings.length > 0) {
      const pings = this.pings;
      this.pings = [];
      await this.inner.insertPings(pings, this.retention);
    }
    for (const [id, { check, expectedRev }] of this.updates) {
      if (!(await this.inner.updateCheckState(check, expectedRev)))
        throw new ConflictError(`check ${id} changed concurrently`);
    }
    this.updates.clear();
  }

  /** After a statement of any other kind: it may have changed what was read. */
  private forget(): void {
    this.checks.clear();
    this.slugs.clear();
    this.projects.clear();
  }

  private remember(c: Check | null): Check | null {
    if (c) {
      this.checks.set(c.id, c);
      this.slugs.set(`${c.projectId} ${c.slug}`, c.id);
    }
    return c;
  }

  private async getCheck(id: string): Promise<Check | null> {
    return this.checks.get(id) ?? this.remember(await this.inner.getCheck(id));
  }

  private async getCheckBySlug(projectId: string, slug: string): Promise<Check | null> {
    const id = this.slugs.get(`${projectId} ${slug}`);
    const known = id === undefined ? undefined : this.checks.get(id);
    return known ?? this.remember(await this.inner.getCheckBySlug(projectId, slug));
  }

  private async getProjectByPingKey(key: string): Promise<Project | null> {
    if (this.projects.has(key)) return this.projects.get(key)!;
    const project = await this.inner.getProjectByPingKey(key);
    this.projects.set(key, project);
    return project;
  }

  private async insertCheck(c: Check): Promise<void> {
    await this.flush();
    await this.inner.insertCheck(c);
    this.remember(c);
  }

  private async updateCheckState(next: Check, expectedRev: number): Promise<boolean> {
    if (this.checks.get(next.id)?.rev !== expectedRev) {
      // not the state this batch handed out: let the database decide
      await this.flush();
      this.forget();
      return this.inner.updateCheckState(next, expectedRev);
    }
    const waiting = this.updates.get(next.id);
    this.updates.set(next.id, { check: next, expectedRev: waiting?.expectedRev ?? expectedRev });
    this.checks.set(next.id, next);
    return true;
  }
}
