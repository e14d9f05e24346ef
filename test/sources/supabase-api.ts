// A loopback server speaking the part of the Supabase Management API vigil reads:
// GET /v1/projects/{ref}/functions with "Authorization: Bearer <token>", answering the
// documented FunctionResponse list (times as epoch milliseconds) or the API's `{ message }` errors.
import { type Receiver, startReceiver } from '../notifiers/receiver.ts';

export const REF = 'abcdefghijklmnopqrst';
export const TOKEN = 'sbp_0123456789abcdef0123456789abcdef01234567';

export interface FakeFunction {
  id: string;
  slug: string;
  name: string;
  status: 'ACTIVE' | 'REMOVED' | 'THROTTLED';
  version: number;
  created_at: number;
  updated_at: number;
  verify_jwt?: boolean;
  import_map?: boolean;
  entrypoint_path?: string;
}

export interface FakeSupabase extends Receiver {
  /** the project's functions; edit to change what the next list returns */
  functions: FakeFunction[];
  /** answer every request with this status and body instead */
  failWith: { status: number; body: string } | null;
}

export function fn(slug: string, fields: Partial<FakeFunction> = {}): FakeFunction {
  return {
    id: `${slug}-0000-4000-8000-000000000000`.slice(0, 36),
    slug,
    name: slug,
    status: 'ACTIVE',
    version: 1,
    created_at: Date.UTC(2026, 0, 1),
    updated_at: Date.UTC(2026, 0, 2, 3, 4, 5),
    verify_jwt: true,
    import_map: false,
    entrypoint_path: 'index.ts',
    ...fields,
  };
}

export async function startFakeSupabase(functions: FakeFunction[] = []): Promise<FakeSupabase> {
  const fake = { functions, failWith: null } as FakeSupabase;
  const receiver = await startReceiver((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (fake.failWith) return json(fake.failWith.status, fake.failWith.body);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { message: 'Unauthorized' });
    const match = /^\/v1\/projects\/([^/]+)\/functions$/.exec(req.url);
    if (req.method !== 'GET' || !match) return json(404, { message: 'Cannot GET this path' });
    if (match[1] !== REF) return json(404, { message: 'Project not found' });
    return json(200, fake.functions);
  });
  return Object.assign(fake, receiver);
}
