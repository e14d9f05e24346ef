// What the Workers bundle gets for `import pg from 'pg'` (wrangler.jsonc "alias"): pg_cron
// sources need a TCP connection to PostgreSQL, which vigil does not open on Workers. They are
// refused when made (capabilities.ts) and fail their sync with that reason before reaching
// this; it only keeps the driver out of the bundle, and says so if anything ever calls it.
const WHY = 'PostgreSQL connections are not available in the Workers build of vigil';

class Client {
  constructor() {
    throw new Error(WHY);
  }
}

export default { Client };
