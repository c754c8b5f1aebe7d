// Node built-ins (for tests and benchmarks under Node) imported by a computed name, so
// a bundler building for browsers leaves them alone instead of failing to resolve them.
export const nodeBuiltin = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ `node:${name}`);
