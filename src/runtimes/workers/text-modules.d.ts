// The files wrangler.jsonc's "rules" bundle as text modules: importing one gives its contents.
declare module 'htmx.org/dist/htmx.min.js' {
  const text: string;
  export default text;
}
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*.svg' {
  const text: string;
  export default text;
}
declare module '*/static/app.js' {
  const text: string;
  export default text;
}
