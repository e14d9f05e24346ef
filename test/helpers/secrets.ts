// The secret key tests open stores with, so every spec on them runs with channel and source
// secrets sealed, as a server does.
import { SecretBox } from '../../src/secrets/secret-box.ts';

export const TEST_SECRETS = new SecretBox(new Uint8Array(32).fill(7), 'the test key');
