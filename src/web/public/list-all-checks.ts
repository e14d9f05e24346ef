import type { Check, CheckFilter, Store } from '../../store/store.ts';

const PAGE = 500;

/** Every check of the project that matches `filter`, by name, read a page at a time. */
export async function listAllChecks(
  store: Store,
  projectId: string,
  filter: CheckFilter = {},
): Promise<Check[]> {
  const checks: Check[] = [];
  let after: string | null = null;
  do {
    const page: { checks: Check[]; next: string | null } = await store.listChecks(
      projectId,
      filter,
      after === null ? { limit: PAGE } : { limit: PAGE, after },
    );
    checks.push(...page.checks);
    after = page.next;
  } while (after !== null);
  return checks;
}
