// What the Workers bundle gets for `import nodemailer from 'nodemailer'` (wrangler.jsonc
// "alias"): nodemailer needs Node's sockets, so the Workers build sends no SMTP. Email channels
// are refused when made and fail delivery with that reason before reaching this
// (capabilities.ts); it only keeps the SMTP client out of the bundle, and says so if anything
// ever calls it.
const WHY = 'SMTP is not available in the Workers build of vigil';

function createTransport(): never {
  throw new Error(WHY);
}

export default { createTransport };
