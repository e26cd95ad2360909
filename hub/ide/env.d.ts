// What esbuild resolves for the IDE that TypeScript does not know: stylesheet imports.
declare module '*.css';
