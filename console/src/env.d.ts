// What esbuild resolves for the console that TypeScript does not know: stylesheet imports.
declare module '*.css';
